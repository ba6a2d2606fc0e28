"""One rule for every claim's verdict, symmetric in direction (the legend of REPRODUCTION.md is `RULE`).

A claim is checked by one or more tests declared in its table row (a seed, a compared option, a population). Each
test is a statistic with a 95% CI and the side the claim predicts ("pos" or "neg") relative to a boundary (0, or a
declared non-inferiority margin). A test's outcome:
- for: the CI excludes the boundary on the claim's side; against: on the other side; open: it includes it;
- borderline: the outcome is not settled: it changes with the bootstrap seed (`STABILITY_SEEDS`, 5 seeds), or an
  exact test given beside the CI (McNemar, two-sided p < 0.05) disagrees with it. A borderline test may resolve to
  any outcome it took.
The verdict is the same function of the outcomes whichever side they point to:
  every test for -> reproduced            every test against -> contradicted
  for and open only -> partly reproduced  against and open only -> partly contradicted
  every test open -> inconclusive         for and against -> mixed
and "borderline" when the borderline tests can resolve to different verdicts.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

REPRODUCED, CONTRADICTED, INCONCLUSIVE = "reproduced", "contradicted", "inconclusive"
PARTLY_REPRODUCED, PARTLY_CONTRADICTED, MIXED = "partly reproduced", "partly contradicted", "mixed"
BORDERLINE, UNTESTED = "borderline", "not testable here"
FOR, AGAINST, OPEN = "for", "against", "open"
ALPHA = 0.05

RULE = ("Verdicts follow one rule, the same in both directions. Each claim is checked by the tests its row lists (a "
        "seed, a compared option or a population); a test is *for* the claim when its 95% CI excludes the boundary "
        "(0, or the non-inferiority margin the row declares) on the claim's side, *against* when it excludes it on "
        "the other side, *open* when it includes it, and *borderline* when that outcome changes over 5 bootstrap "
        "seeds or an exact test beside the CI (McNemar, p < 0.05) disagrees with it. Verdict: reproduced (every test "
        "for), contradicted (every test against), partly reproduced (for and open), partly contradicted (against and "
        "open), inconclusive (all open), mixed (for and against), borderline (the borderline tests can resolve to "
        "different verdicts), not testable here (the study lacks the models).")


@dataclass(frozen=True)
class Test:
    __test__ = False  # not a pytest test class, though its name says Test
    label: str
    value: float
    lo: float
    hi: float
    expected: str = "neg"  # the side the claim predicts: "pos", "neg" or "any" (a claimed change, either way)
    boundary: float = 0.0  # 0, or a non-inferiority margin (e.g. -0.05: "no worse than 5 points below")
    p_exact: float | None = None  # two-sided exact test of value == boundary, where one exists (McNemar)
    redrawn: tuple[tuple[float, float], ...] = ()  # the CI under the other stability seeds


def side(lo: float, hi: float, expected: str, boundary: float = 0.0) -> str:
    """Where a CI lies relative to the boundary, seen from the claim: for, against or open."""
    if expected == "any":
        return FOR if lo > boundary or hi < boundary else OPEN
    if lo > boundary:
        return FOR if expected == "pos" else AGAINST
    if hi < boundary:
        return AGAINST if expected == "pos" else FOR
    return OPEN


def outcomes(test: Test) -> frozenset[str]:
    """The outcomes a test can take: one when it is settled, several when it is borderline."""
    found = {side(lo, hi, test.expected, test.boundary) for lo, hi in ((test.lo, test.hi), *test.redrawn)}
    if test.p_exact is not None:
        up = test.value > test.boundary
        exact = (OPEN if test.p_exact >= ALPHA else FOR if test.expected == "any" or up == (test.expected == "pos")
                 else AGAINST)
        found.add(exact)
    return frozenset(found)


def describe(test: Test) -> str:
    """"for", "against", "open" or e.g. "borderline (open/for)"."""
    found = outcomes(test)
    return next(iter(found)) if len(found) == 1 else f"borderline ({'/'.join(sorted(found))})"


def rule(found: Sequence[str]) -> str:
    """The verdict of settled outcomes."""
    kinds = set(found)
    if not kinds:
        return UNTESTED
    if kinds == {FOR}:
        return REPRODUCED
    if kinds == {AGAINST}:
        return CONTRADICTED
    if kinds == {OPEN}:
        return INCONCLUSIVE
    if kinds == {FOR, OPEN}:
        return PARTLY_REPRODUCED
    if kinds == {AGAINST, OPEN}:
        return PARTLY_CONTRADICTED
    return MIXED


def verdict(tests: Sequence[Test]) -> str:
    """The rule over every way the borderline tests can resolve; borderline when those ways disagree."""
    found = {rule(combo) for combo in itertools.product(*(sorted(outcomes(t)) for t in tests))}
    return found.pop() if len(found) == 1 else BORDERLINE


def tally(tests: Sequence[Test]) -> str:
    """E.g. "2 for, 1 borderline (open/for)": what the verdict rests on, for the table's why column."""
    counts: dict[str, int] = {}
    for t in tests:
        counts[describe(t)] = counts.get(describe(t), 0) + 1
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))


@dataclass(frozen=True)
class Claim:
    """One row of the claims table: the claim, its statistic, population and evidence, and its verdict."""

    key: str
    text: str
    statistic: str
    population: str
    evidence: str
    verdict: str
    why: str = ""
    tests: tuple[Test, ...] = field(default_factory=tuple)


def untested(key: str, text: str, reason: str) -> Claim:
    return Claim(key, text, "–", "–", reason, UNTESTED)


def decided(key: str, text: str, statistic: str, population: str, evidence: str, tests: Sequence[Test],
            why: str = "") -> Claim:
    """A claim with its verdict by the rule; `why` explains anything short of reproduced."""
    found = verdict(tests)
    return Claim(key, text, statistic, population, evidence, found,
                 f"tests: {tally(tests)}" + (f"; {why}" if why and found != REPRODUCED else ""), tuple(tests))


__all__ = ["AGAINST", "BORDERLINE", "CONTRADICTED", "Claim", "FOR", "INCONCLUSIVE", "MIXED", "OPEN",
           "PARTLY_CONTRADICTED", "PARTLY_REPRODUCED", "REPRODUCED", "RULE", "Test", "UNTESTED", "decided", "describe",
           "outcomes", "rule", "side", "tally", "untested", "verdict"]
