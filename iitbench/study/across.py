"""Claims across models (C3, F1, F2): correlations and means whose unit is a recipe, not a row.

Seeds of one recipe share everything but the seed, so they are not independent draws: every CI here resamples
recipes (`stats.cluster_weights`), and each population says how many models and recipes it holds. C3 is tested on
three populations of the default LAWS variant (the other variants are the predictor leaderboard's rows).
"""

from __future__ import annotations

from collections.abc import Sequence

from iitbench.study.stats import STABILITY_SEEDS, correlation, mean_ci
from iitbench.study.tables import ModelRow, context_effect, fmt
from iitbench.study.validity import POPULATIONS, identical_variants, log_lr, points
from iitbench.study.verdicts import Claim, Test, decided, describe, untested


def corr_test(label: str, x, y, clusters, expected: str = "neg", control=None) -> Test | None:
    """r with its recipe-clustered CI under the main seed, redrawn under the other stability seeds."""
    found = [correlation(x, y, clusters, control=control, seed=s) for s in STABILITY_SEEDS]
    if found[0] is None:
        return None
    return Test(label, found[0].value, found[0].lo, found[0].hi, expected,
                redrawn=tuple((e.lo, e.hi) for e in found[1:]))


def _r(t: Test) -> str:
    return f"{t.value:+.2f} [{t.lo:+.2f}, {t.hi:+.2f}]"


def _size(x: Sequence, clusters: Sequence[str], population: str) -> str:
    unit = "recipe means" if population == "recipe means" else f"models = {len(set(clusters))} recipes"
    return f"{population}: {len(x)} {unit}"


def c3(rows: Sequence[ModelRow], variants: Sequence[str]) -> Claim:
    text = "A larger attention shift goes with more text forgetting (negative r over models)."
    if not variants:
        return untested("C3", text, "no LAWS results")
    main = variants[0]
    tests, sizes = [], []
    for population in POPULATIONS:
        x, y, clusters, _ = points(rows, lambda r: r.shift(main), population)
        test = corr_test(population, x, y, clusters)
        if test is not None:
            tests.append(test)
            sizes.append(_size(x, clusters, population))
    if not tests:
        return untested("C3", text, "fewer than 3 recipes with both LAWS and forgetting")
    x, y, clusters, lr = points(rows, lambda r: r.shift(main), "trained LLM")
    partial = corr_test("partial", x, y, clusters, control=lr) if all(v is not None for v in lr) else None
    groups = identical_variants(rows, variants)
    same = groups.get(main, [])
    others = []
    for v in (v for v in groups if v != main):
        xo, yo, co, _ = points(rows, lambda r, v=v: r.shift(v), "trained LLM")
        t = corr_test(v, xo, yo, co)
        others.append(f"{v} {_r(t)}" if t else f"{v} –")
    stat = (f"r(shift {main}, text Δ): " + "; ".join(f"{t.label} {_r(t)}" for t in tests)
            + (f"; partial r given log10 LLM LR (trained LLM) {_r(partial)}" if partial else ""))
    evidence = ("other analysis choices, trained LLM: " + ("; ".join(others) or "none")
                + (f". Same shift as {main} for every model, so not independent checks: {', '.join(same)} (averaging "
                   "heads and per-query normalisation scale each sample's masses by a constant; excluding sinks "
                   "changes nothing where no sink is content text)" if same else "")
                + "; every predictor: predictors.md")
    contradicted = [t.label for t in tests if describe(t) == "against"]
    why = (f"over {' and '.join(contradicted)} the CI excludes 0 on the other side: larger shifts went with less "
           "forgetting" if contradicted else "no population's CI excludes 0")
    return decided("C3", text, stat, "; ".join(sizes) + "; CIs resample recipes", evidence, tests, why)


def f1(rows: Sequence[ModelRow]) -> Claim:
    text = "(zoo finding) The LLM's learning rate decides forgetting."
    x, y, clusters, _ = points(rows, log_lr, "trained LLM")
    test = corr_test("trained LLM", x, y, clusters)
    if test is None:
        return untested("F1", text, "fewer than 3 recipes with a trained LLM")
    return decided("F1", text, f"r(log10 LLM LR, text Δ) {_r(test)}",
                   _size(x, clusters, "trained LLM") + "; CI resamples recipes", f"{len(set(x))} learning rates",
                   [test], "the learning rate does not order forgetting with a CI excluding 0")


def f2(rows: Sequence[ModelRow]) -> Claim:
    text = "(IIT) Context turns change accuracy on the same scored question."
    found = [(context_effect(r), r.cluster) for r in rows]
    found = [f for f in found if f[0] is not None]
    if len({f[1] for f in found}) < 3:
        return untested("F2", text, "no context runs")
    values, clusters = [f[0] for f in found], [f[1] for f in found]
    cis = [mean_ci(values, clusters, seed=s) for s in STABILITY_SEEDS]
    test = Test("all models", *cis[0], expected="any", redrawn=tuple(c[1:] for c in cis[1:]))
    pts = [fmt(v, signed=True) for v in (test.value, test.lo, test.hi)]
    return decided("F2", text, f"with − without context {pts[0]} [{pts[1]}, {pts[2]}] pts, "
                   "mean over models", f"all models: {len(values)} models = {len(set(clusters))} recipes; CI "
                   "resamples recipes", "per model: models.md (context effect)", [test],
                   "no context effect whose CI excludes 0")


__all__ = ["c3", "corr_test", "f1", "f2"]
