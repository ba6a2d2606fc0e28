"""The verdict rule (iitbench/study/verdicts.py): one function of the tests' outcomes, symmetric in direction;
borderline when a bootstrap seed or an exact test can change the outcome and that would change the verdict."""

from __future__ import annotations

import itertools

import pytest

from iitbench.study.stats import STABILITY_SEEDS
from iitbench.study.verdicts import (
    AGAINST,
    BORDERLINE,
    CONTRADICTED,
    FOR,
    INCONCLUSIVE,
    MIXED,
    OPEN,
    PARTLY_CONTRADICTED,
    PARTLY_REPRODUCED,
    REPRODUCED,
    Test,
    describe,
    outcomes,
    rule,
    side,
    verdict,
)

MIRROR = {FOR: AGAINST, AGAINST: FOR, OPEN: OPEN}
MIRROR_VERDICT = {REPRODUCED: CONTRADICTED, CONTRADICTED: REPRODUCED, PARTLY_REPRODUCED: PARTLY_CONTRADICTED,
                  PARTLY_CONTRADICTED: PARTLY_REPRODUCED, INCONCLUSIVE: INCONCLUSIVE, MIXED: MIXED}


@pytest.mark.parametrize("found", [c for n in (1, 2, 3) for c in itertools.product((FOR, AGAINST, OPEN), repeat=n)])
def test_the_rule_is_symmetric_in_direction(found):
    """Turning every outcome around turns the verdict around: one CI on the wrong side weighs what one on the
    right side does (the old rule made the first 'not reproduced' and the second only 'mixed')."""
    assert rule([MIRROR[f] for f in found]) == MIRROR_VERDICT[rule(found)]


@pytest.mark.parametrize("found,expected", [
    ([FOR, FOR], REPRODUCED), ([AGAINST], CONTRADICTED), ([OPEN, OPEN], INCONCLUSIVE),
    ([FOR, OPEN], PARTLY_REPRODUCED), ([AGAINST, OPEN], PARTLY_CONTRADICTED), ([FOR, AGAINST], MIXED)])
def test_rule_table(found, expected):
    assert rule(found) == expected


def test_a_test_reads_the_same_from_either_side():
    """The same CI tested for a claimed increase and a claimed decrease gives opposite outcomes."""
    for lo, hi in ((0.01, 0.2), (-0.2, -0.01), (-0.1, 0.1)):
        up, down = Test("x", 0.0, lo, hi, expected="pos"), Test("x", 0.0, lo, hi, expected="neg")
        assert outcomes(down) == {MIRROR[o] for o in outcomes(up)}


def test_non_inferiority_margin_moves_the_boundary():
    assert side(-0.04, 0.02, "pos", boundary=-0.05) == FOR  # within 5 points below: non-inferior
    assert side(-0.07, 0.02, "pos", boundary=-0.05) == OPEN
    assert side(-0.10, -0.06, "pos", boundary=-0.05) == AGAINST  # inferior beyond the margin
    assert side(0.01, 0.05, "any") == FOR and side(-0.05, -0.01, "any") == FOR and side(-0.1, 0.1, "any") == OPEN


def test_a_decision_that_changes_with_the_bootstrap_seed_is_borderline():
    assert len(STABILITY_SEEDS) >= 5
    steady = Test("a", 0.05, 0.01, 0.09, expected="pos", redrawn=((0.012, 0.09), (0.009, 0.1), (0.02, 0.08),
                                                                 (0.011, 0.1)))
    shaky = Test("b", 0.05, 0.0, 0.09, expected="pos", redrawn=((0.002, 0.09), (-0.002, 0.1), (0.0, 0.08),
                                                               (0.001, 0.1)))
    assert outcomes(steady) == {FOR} and verdict([steady]) == REPRODUCED
    assert outcomes(shaky) == {FOR, OPEN} and describe(shaky) == "borderline (for/open)"
    assert verdict([shaky]) == BORDERLINE
    assert verdict([steady, shaky]) == BORDERLINE  # reproduced or partly reproduced, depending on the seed
    open_ = Test("c", 0.0, -0.05, 0.05, expected="pos")
    assert verdict([steady, shaky, open_]) == PARTLY_REPRODUCED  # whichever way b resolves: not borderline


def test_an_exact_test_that_disagrees_with_the_ci_makes_it_borderline():
    agree = Test("a", -0.2, -0.28, -0.12, p_exact=1e-9)
    disagree = Test("b", -0.04, -0.083, -0.002, p_exact=0.081)  # bootstrap CI below 0, McNemar p > 0.05
    wrong_side = Test("c", 0.05, 0.01, 0.09, expected="neg", p_exact=0.001)
    assert outcomes(agree) == {FOR}
    assert outcomes(disagree) == {FOR, OPEN} and verdict([disagree]) == BORDERLINE
    assert outcomes(wrong_side) == {AGAINST}
