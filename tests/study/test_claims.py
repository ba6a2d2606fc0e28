"""Claim verdicts (iitbench/study/claims.py, across.py) on hand-made model rows: verdicts follow the CIs of the tests
each claim declares, by the one rule of iitbench/study/verdicts.py."""

from __future__ import annotations

import pytest

from iitbench.study.across import f1
from iitbench.study.claims import MM_MARGIN, c1, c2, c4, c5, c6
from iitbench.study.tables import ModelRow
from iitbench.study.verdicts import BORDERLINE, CONTRADICTED, INCONCLUSIVE, PARTLY_REPRODUCED, REPRODUCED, UNTESTED


def _row(name, delta, lo, hi, **info):
    forgetting = {"comparison": {"overall": {"delta": delta, "delta_ci95": [lo, hi], "acc_a": 0.5}}}
    return ModelRow(name=name, info=info, forgetting=forgetting)


def test_c1_a_seed_whose_ci_includes_zero_makes_it_partly_reproduced_not_refuted():
    rows = [_row("a", -0.1, -0.15, -0.05, group="headline", variant="naive"),
            _row("b", -0.02, -0.06, 0.01, group="headline", variant="naive")]
    assert c1(rows).verdict == PARTLY_REPRODUCED
    assert c1(rows[:1]).verdict == REPRODUCED
    assert c1(rows[1:]).verdict == INCONCLUSIVE
    assert c1([]).verdict == UNTESTED


def _paired(name, n, only_a, only_b, acc_b=0.6, **info):
    """A stored forgetting comparison with its discordant counts (what McNemar and the redraws need)."""
    from iitbench.metrics.paired import compare_paired

    a = [True] * only_a + [False] * only_b + [True] * (round(acc_b * n) - only_b)
    b = [False] * only_a + [True] * only_b + [True] * (round(acc_b * n) - only_b)
    a += [False] * (n - len(a))
    b += [False] * (n - len(b))
    comparison = {"overall": compare_paired(a, b, n_boot=1000, seed=0).to_json(), "bootstrap": {"n_boot": 1000}}
    return ModelRow(name=name, info=info, forgetting={"comparison": comparison})


def test_c1_uses_mcnemar_beside_the_bootstrap_ci():
    """A loss whose bootstrap CI just excludes 0 while McNemar's exact p is above 0.05 is borderline, not decided."""
    clear = _paired("clear", 350, 5, 60, group="headline", variant="naive")
    edge = _paired("edge", 350, 12, 24, group="headline", variant="naive")
    test = c1([edge]).tests[0]
    assert test.p_exact == pytest.approx(0.0652, abs=1e-3) and test.hi < 0  # the CI says "for", McNemar does not
    assert c1([edge]).verdict == BORDERLINE
    assert c1([clear]).verdict == REPRODUCED
    assert len(c1([clear]).tests[0].redrawn) == 4  # 5 bootstrap seeds in all


def test_c2_is_a_seed_level_comparison_with_a_declared_mm_margin():
    def arms(wings_text, naive_text, wings_mm, naive_mm):
        return ([_row(f"w{i}", d, d - 0.04, d + 0.04, group="headline", variant="wings", mm_acc=m)
                 for i, (d, m) in enumerate(zip(wings_text, wings_mm))]
                + [_row(f"n{i}", d, d - 0.04, d + 0.04, group="headline", variant="naive", mm_acc=m)
                   for i, (d, m) in enumerate(zip(naive_text, naive_mm))])

    good = c2(arms([-0.04, -0.05, -0.045], [-0.2, -0.22, -0.18], [0.5, 0.51, 0.5], [0.51, 0.5, 0.52]))
    assert good.verdict == REPRODUCED and f"{100 * MM_MARGIN:.0f} points below" in good.text
    noisy_mm = c2(arms([-0.04, -0.05, -0.045], [-0.2, -0.22, -0.18], [0.45, 0.55, 0.5], [0.58, 0.46, 0.52]))
    assert noisy_mm.verdict == PARTLY_REPRODUCED  # text: for; mm: the CI crosses the margin
    worse = c2(arms([-0.2, -0.22, -0.18], [-0.04, -0.05, -0.045], [0.3, 0.31, 0.3], [0.5, 0.51, 0.5]))
    assert worse.verdict == CONTRADICTED  # forgets more and is inferior beyond the margin: symmetric to reproduced
    assert c2(arms([-0.04], [-0.2], [0.5], [0.5])).verdict == UNTESTED  # one seed per arm: no seed-level CI


def test_f1_learning_rate_correlation_verdicts():
    falling = [_row(f"m{i}", -0.02 * i, -0.02 * i - 0.01, -0.02 * i + 0.01, lr_llm=10.0 ** (-6 + i)) for i in range(5)]
    assert f1(falling).verdict == REPRODUCED
    flat = [_row(f"m{i}", d, d - 0.01, d + 0.01, lr_llm=10.0 ** (-6 + i))
            for i, d in enumerate([0.01, -0.01, 0.02, -0.02, 0.0])]
    assert f1(flat).verdict == INCONCLUSIVE
    rising = [_row(f"m{i}", 0.02 * i, 0.02 * i - 0.01, 0.02 * i + 0.01, lr_llm=10.0 ** (-6 + i)) for i in range(5)]
    assert f1(rising).verdict == CONTRADICTED


def test_c4_tests_every_seed_pair_with_mcnemar_and_the_text_heavy_contrast():
    def iit(pattern):
        return {f"{cfg}-{i}": (cfg, int(c)) for cfg, bits in pattern.items() for i, c in enumerate(bits)}

    half = "01" * 20
    naive = ModelRow("n", {"group": "headline", "variant": "naive", "seed": 0}, scored=iit({"T": half, "V": half}))
    same = ModelRow("w", {"group": "headline", "variant": "wings", "seed": 0}, scored=iit({"T": half, "V": half}))
    better = ModelRow("w", {"group": "headline", "variant": "wings", "seed": 0},
                      scored=iit({"T": "1" * 40, "V": half}))
    assert c4([naive, same]).verdict == INCONCLUSIVE
    found = c4([naive, better])
    assert found.verdict == REPRODUCED  # +25 points overall (p < 1e-5), all of it on the text config
    assert found.tests[0].p_exact < 1e-5 and len(found.tests) == 2
    assert c4([naive]).verdict == UNTESTED


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
    def schemes(split, low, high):
        return [_scored("s", *split, group="lr-scheme", variant="naive/split"),
                _scored("l", *low, group="lr-scheme", variant="naive/uniform-low"),
                _scored("h", *high, group="headline", variant="naive")]

    assert c5(schemes((0.6, 0.6), (0.4, 0.4), (0.3, 0.3))).verdict == REPRODUCED
    assert c5(schemes((0.6, 0.6), (0.59, 0.6), (0.3, 0.3))).verdict == PARTLY_REPRODUCED  # ahead of one only
    assert c5(schemes((0.3, 0.3), (0.6, 0.6), (0.6, 0.6))).verdict == CONTRADICTED
    assert c5(schemes((0.5, 0.5), (0.5, 0.51), (0.49, 0.5))).verdict == INCONCLUSIVE
    assert c5([_scored("h", 0.5, 0.5, group="headline", variant="naive")]).verdict == UNTESTED

    def learners(both, others):
        rows = [_scored("w", *both, group="headline", variant="wings", seed=0)]
        return rows + [_scored(v, *others, group="learners", variant=v) for v in ("visual", "textual", "none")]

    assert c6(learners((0.7, 0.7), (0.4, 0.4))).verdict == REPRODUCED
    assert c6(learners((0.5, 0.5), (0.5, 0.49))).verdict == INCONCLUSIVE
    assert c6(learners((0.3, 0.3), (0.6, 0.6))).verdict == CONTRADICTED
    assert c6(learners((0.5, 0.5), (0.5, 0.5))[:2]).verdict == UNTESTED


def test_c5_ci_widens_with_the_spread_between_seeds():
    from iitbench.study.claims import _score

    steady = [_scored(f"s{i}", 0.6, 0.6) for i in range(3)]
    noisy = [_scored(f"n{i}", t, t) for i, t in enumerate((0.4, 0.6, 0.8))]
    assert _score(steady)[0] == pytest.approx(_score(noisy)[0])
    assert _score(noisy)[1] > 10 * _score(steady)[1]
