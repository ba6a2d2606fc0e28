"""Claim verdicts (iitbench/study/claims.py) on hand-made model rows: reproduced / not reproduced / inconclusive /
mixed follow the CIs, not just the point estimates."""

from __future__ import annotations

import pytest

from iitbench.study.claims import INCONCLUSIVE, MIXED, NOT, REPRODUCED, UNTESTED, _verdict, c1, c4, f1
from iitbench.study.tables import ModelRow


def _row(name, delta, lo, hi, **info):
    forgetting = {"comparison": {"overall": {"delta": delta, "delta_ci95": [lo, hi], "acc_a": 0.5}}}
    return ModelRow(name=name, info=info, forgetting=forgetting)


@pytest.mark.parametrize("signs,verdict", [
    (["neg", "neg"], REPRODUCED), (["pos"], NOT), (["zero", "pos"], NOT), (["zero", "zero"], INCONCLUSIVE),
    (["neg", "zero"], MIXED), (["neg", "pos"], MIXED)])
def test_verdict_from_ci_signs(signs, verdict):
    assert _verdict(signs) == verdict


def test_c1_a_seed_whose_ci_includes_zero_makes_it_mixed_not_refuted():
    rows = [_row("a", -0.1, -0.15, -0.05, group="headline", variant="naive"),
            _row("b", -0.02, -0.06, 0.01, group="headline", variant="naive")]
    assert c1(rows).verdict == MIXED
    assert c1(rows[:1]).verdict == REPRODUCED
    assert c1(rows[1:]).verdict == INCONCLUSIVE
    assert c1([]).verdict == UNTESTED


def test_f1_learning_rate_correlation_verdicts():
    falling = [_row(f"m{i}", -0.02 * i, -0.02 * i - 0.01, -0.02 * i + 0.01, lr_llm=10.0 ** (-6 + i)) for i in range(5)]
    assert f1(falling).verdict == REPRODUCED
    flat = [_row(f"m{i}", d, d - 0.01, d + 0.01, lr_llm=10.0 ** (-6 + i)) for i, d in enumerate([0.01, -0.01, 0.02, -0.02, 0.0])]
    assert f1(flat).verdict == INCONCLUSIVE


def test_c4_is_inconclusive_when_the_paired_ci_includes_zero():
    def iit(pattern):
        return {f"{cfg}-{i}": (cfg, int(c)) for cfg, bits in pattern.items() for i, c in enumerate(bits)}

    naive = ModelRow("n", {"group": "headline", "variant": "naive", "seed": 0}, scored=iit({"T": "0101", "V": "0101"}))
    same = ModelRow("w", {"group": "headline", "variant": "wings", "seed": 0}, scored=iit({"T": "0101", "V": "0101"}))
    better = ModelRow("w", {"group": "headline", "variant": "wings", "seed": 0}, scored=iit({"T": "1111", "V": "1111"}))
    assert c4([naive, same]).verdict == INCONCLUSIVE
    assert c4([naive, better]).verdict == REPRODUCED


def test_one_model_under_two_names_counts_once_in_correlations():
    from iitbench.study.tables import correlations, distinct

    def laws(shift):
        return {"v": {"shift": {"value": shift, "lo": shift, "hi": shift}}}

    rows = [ModelRow(f"m{i}", {"recipe_hash": f"h{i}"}, forgetting=_row("x", d, d, d).forgetting, laws=laws(s))
            for i, (s, d) in enumerate([(1.0, -0.1), (1.2, -0.2), (1.4, -0.25), (1.6, -0.4)])]
    twin = ModelRow("alias", {"recipe_hash": "h0"}, forgetting=rows[0].forgetting, laws=laws(1.0))
    assert [r.name for r in distinct(rows + [twin])] == ["m0", "m1", "m2", "m3"]
    assert correlations(rows + [twin], "v")["n"] == 4
    assert correlations(rows + [ModelRow("other", {"recipe_hash": "h9"}, forgetting=twin.forgetting,
                                         laws=laws(1.0))], "v")["n"] == 5


def _scored(name, text, mm, n=400, **info):
    forgetting = {"comparison": {"overall": {"delta": 0.0, "delta_ci95": [0, 0], "acc_a": text, "n": n}}}
    return ModelRow(name=name, info={"mm_acc": mm, "mm_n": n, **info}, forgetting=forgetting)


def test_c5_c6_verdicts_follow_the_ci_of_each_comparison():
    from iitbench.study.claims import c5, c6

    def schemes(split, low, high):
        return [_scored("s", *split, group="lr-scheme", variant="naive/split"),
                _scored("l", *low, group="lr-scheme", variant="naive/uniform-low"),
                _scored("h", *high, group="headline", variant="naive")]

    assert c5(schemes((0.6, 0.6), (0.4, 0.4), (0.3, 0.3))).verdict == REPRODUCED
    assert c5(schemes((0.6, 0.6), (0.59, 0.6), (0.3, 0.3))).verdict == MIXED  # ahead of one scheme only
    assert c5(schemes((0.3, 0.3), (0.6, 0.6), (0.6, 0.6))).verdict == NOT
    assert c5(schemes((0.5, 0.5), (0.5, 0.51), (0.49, 0.5))).verdict == INCONCLUSIVE
    assert c5([_scored("h", 0.5, 0.5, group="headline", variant="naive")]).verdict == UNTESTED

    def learners(both, others):
        rows = [_scored("w", *both, group="headline", variant="wings", seed=0)]
        return rows + [_scored(v, *others, group="learners", variant=v) for v in ("visual", "textual", "none")]

    assert c6(learners((0.7, 0.7), (0.4, 0.4))).verdict == REPRODUCED
    assert c6(learners((0.5, 0.5), (0.5, 0.49))).verdict == INCONCLUSIVE
    assert c6(learners((0.3, 0.3), (0.6, 0.6))).verdict == NOT
    assert c6(learners((0.5, 0.5), (0.5, 0.5))[:2]).verdict == UNTESTED


def test_c5_ci_widens_with_the_spread_between_seeds():
    from iitbench.study.claims import _score

    steady = [_scored(f"s{i}", 0.6, 0.6) for i in range(3)]
    noisy = [_scored(f"n{i}", t, t) for i, t in enumerate((0.4, 0.6, 0.8))]
    assert _score(steady)[0] == pytest.approx(_score(noisy)[0])
    assert _score(noisy)[1] > 10 * _score(steady)[1]
