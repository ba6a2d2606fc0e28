import math

import pytest

from iitbench.metrics import Z95, accuracy, compute_metrics, mean_stderr, wilson_interval


def _rec(config="T", turn=0, scored=True, status="ok", correct=True, correct_norm=False, position="no-image",
         source="s"):
    return {"id": f"{config}{turn}", "config": config, "turn": turn, "scored": scored, "position": position,
            "source": source, "status": status, "correct": correct if status == "ok" else None,
            "correct_norm": correct_norm if status == "ok" else None}


def test_stderr_uses_n_minus_one_like_lm_eval():
    # 3 of 4: p = .75, sqrt(.75 * .25 / 3) = .25
    assert mean_stderr(3, 4) == pytest.approx(0.25)
    assert mean_stderr(1, 1) is None


def test_wilson_interval_matches_hand_computed_value():
    # 8/10: centre (0.8 + z²/20) / (1 + z²/10), half z/(1+z²/10) sqrt(0.016 + z²/400)
    lo, hi = wilson_interval(8, 10)
    z2 = Z95 ** 2
    centre = (0.8 + z2 / 20) / (1 + z2 / 10)
    half = Z95 / (1 + z2 / 10) * math.sqrt(0.016 + z2 / 400)
    assert (lo, hi) == pytest.approx((centre - half, centre + half))
    assert (lo, hi) == pytest.approx((0.49016, 0.94331), abs=1e-5)


def test_wilson_interval_stays_in_unit_range_and_is_none_without_data():
    lo, hi = wilson_interval(0, 5)
    assert lo == 0.0 and 0 < hi < 0.5
    lo, hi = wilson_interval(5, 5)
    assert hi == 1.0 and 0.5 < lo < 1
    assert wilson_interval(0, 0) is None


def test_not_applicable_records_are_counted_apart_from_n():
    acc = accuracy([_rec(correct=True), _rec(correct=False), _rec(status="n/a")])
    assert acc["n"] == 2 and acc["n_na"] == 1 and acc["acc"] == 0.5 and acc["acc_norm"] == 0.0


def test_accuracy_is_null_when_nothing_applicable():
    acc = accuracy([_rec(status="n/a")])
    assert acc == {"acc": None, "acc_norm": None, "n": 0, "n_na": 1, "stderr": None, "ci95": None, "ci95_norm": None}


def test_compute_metrics_groups_scored_turns_and_orders_turns_numerically():
    recs = [_rec("TT", 0, scored=False, correct=False), _rec("TT", 1, correct=True, source="b"),
            _rec("T", 0, correct=False, source="a")] + [_rec("T" * 11, t, scored=t == 10) for t in range(11)]
    m = compute_metrics(recs)
    assert list(m["per_config"]) == ["T", "TT", "TTTTTTTTTTT"]
    assert m["per_config"]["TT"]["n"] == 1 and m["per_config"]["TT"]["acc"] == 1.0
    assert m["overall"]["n"] == 3
    assert list(m["per_turn"])[:3] == ["0", "1", "2"] and list(m["per_turn"])[-1] == "10"
    assert m["per_turn"]["0"]["n"] == 3
    assert set(m["per_source"]) == {"a", "b", "s"}
