"""The WINGS paper's claims, checked on a study (REPRODUCTION.md): one row per claim with its statistic, 95% CI,
the population it is computed on, the tests it rests on, and a verdict by the one rule of `iitbench.study.verdicts`.

Models take their roles from the study file's `meta`: `group` (headline, lr-scheme, learners, length, replay,
llm-parts) and `variant` (e.g. naive, wings, naive/split, wings/uniform-low, visual, textual, none), plus the zoo
card's method, seed and learning rates (model.json). Rows sharing a recipe hash (one model under two names) count
once in every claim. Claims across models (C3, F1, F2) live in `iitbench.study.across`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from iitbench.study.across import c3, f1, f2
from iitbench.study.stats import N_BOOT, SEED, STABILITY_SEEDS, mcnemar_p, paired_redraw, welch
from iitbench.study.tables import ModelRow, distinct, fmt
from iitbench.study.verdicts import RULE, Claim, Test, decided, describe, untested

#: C2's non-inferiority margin: WINGS' multimodal accuracy may be at most this far below naive's (5 points)
MM_MARGIN = 0.05


def _group(rows: Sequence[ModelRow], group: str, variant: str | None = None) -> list[ModelRow]:
    return [r for r in rows if r.info.get("group") == group and (variant is None or r.info.get("variant") == variant)]


def pts(x: float | None) -> str:
    return fmt(x, signed=True)


def ci_pts(lo: float, hi: float) -> str:
    return f"[{pts(lo)}, {pts(hi)}]"


def forgetting_test(row: ModelRow, expected: str = "neg") -> Test:
    """A model's stored text Δ vs its base (item bootstrap CI) with McNemar's exact p beside it; the CI is redrawn
    under the other stability seeds from the discordant-pair counts. Where the stored comparison has a
    subject-clustered CI (MMLU questions in the suite), that one is used: item resampling is too narrow there."""
    c = row.forgetting["comparison"]["overall"]
    if c.get("delta_ci95_cluster"):  # MMLU items among them (text-real): the subject-clustered CI, stored as is
        lo, hi = c["delta_ci95_cluster"]
        return Test(row.name, c["delta"], lo, hi, expected, p_exact=c.get("mcnemar_p"))
    n_boot = int(row.forgetting["comparison"].get("bootstrap", {}).get("n_boot", N_BOOT))
    redrawn = tuple(paired_redraw(c["n"], c["only_a_correct"], c["only_b_correct"], n_boot, s)
                    for s in STABILITY_SEEDS[1:]) if c.get("n") and "only_a_correct" in c else ()
    lo, hi = c["delta_ci95"]
    return Test(row.name, c["delta"], lo, hi, expected, p_exact=c.get("mcnemar_p"), redrawn=redrawn)


def _per_seed(tests: Sequence[Test]) -> str:
    return "; ".join(f"{t.label} {pts(t.value)} {ci_pts(t.lo, t.hi)}"
                     + (f" p {t.p_exact:.3g}" if t.p_exact is not None else "") for t in tests)


def c1(rows: Sequence[ModelRow]) -> Claim:
    text = "Naive multimodal training (full fine-tune at a high LLM learning rate) forgets text skills."
    naive = [r for r in _group(rows, "headline", "naive") if r.forgetting]
    if not naive:
        return untested("C1", text, "no headline naive model")
    tests = [forgetting_test(r) for r in naive]
    mean = sum(t.value for t in tests) / len(tests)
    unit = ("bootstrap CI clustered by MMLU subject" if naive[0].forgetting["comparison"]["overall"].get(
        "delta_ci95_cluster") else "item bootstrap CI")
    return decided("C1", text, f"paired text Δ vs base per seed ({unit}, McNemar exact p); mean "
                   f"{pts(mean)} pts", f"{len(tests)} seeds of the naive recipe (rows), "
                   f"{naive[0].forgetting['comparison']['overall'].get('n', '?')} text items each",
                   _per_seed(tests), tests, "a seed's loss is not settled below 0")


def c2(rows: Sequence[ModelRow]) -> Claim:
    text = (f"WINGS forgets less text than the naive model, at a multimodal accuracy no more than "
            f"{fmt(MM_MARGIN, digits=0)} points below naive's (non-inferiority margin).")
    wings = [r for r in _group(rows, "headline", "wings") if r.forgetting]
    naive = [r for r in _group(rows, "headline", "naive") if r.forgetting]
    text_cmp = welch([r.delta for r in wings], [r.delta for r in naive])
    mm = [[r.info.get("mm_acc") for r in g] for g in (wings, naive)]
    mm_cmp = welch(*mm) if all(v is not None for v in mm[0] + mm[1]) else None
    if text_cmp is None or mm_cmp is None:
        return untested("C2", text, "fewer than 2 seeds of the headline WINGS and naive recipes with text and mm "
                                    "results")
    tests = [Test("text Δ WINGS − naive", *text_cmp, expected="pos"),
             Test("mm WINGS − naive vs margin", *mm_cmp, expected="pos", boundary=-MM_MARGIN)]
    own = [forgetting_test(r) for r in wings]
    exact = sum(t.p_exact is not None and t.p_exact < 0.05 for t in own)
    return decided(
        "C2", text, f"text Δ, WINGS − naive {pts(text_cmp[0])} {ci_pts(*text_cmp[1:])} pts; mm accuracy, WINGS − "
        f"naive {pts(mm_cmp[0])} {ci_pts(*mm_cmp[1:])} pts against the margin {pts(-MM_MARGIN)} (Welch t over "
        "seeds)", f"{len(wings)} WINGS and {len(naive)} naive seeds of the headline recipes (seeds are the units)",
        f"WINGS' own text Δ vs base: {_per_seed(own)} (McNemar p < 0.05 for {exact} of {len(own)} seeds); naive "
        f"mean {pts(sum(r.delta for r in naive) / len(naive))}", tests,
        "the multimodal side is not shown within the margin" if describe(tests[1]) != "for" else "")


def _iit_tests(w: ModelRow, n: ModelRow) -> tuple[Test, Test, dict[str, float]]:
    """WINGS − naive on the IIT items both answered: the overall paired Δ (item bootstrap, McNemar) and the
    text-heavy contrast (Δ on configs with more text than image turns − Δ on the others; items resampled within
    each side), each under every stability seed."""
    common = sorted(set(w.scored) & set(n.scored))
    d = np.asarray([w.scored[i][1] - n.scored[i][1] for i in common], dtype=np.float64)
    heavy = np.asarray([w.scored[i][0].count("T") > w.scored[i][0].count("V") for i in common])

    def draw(values: np.ndarray, rng) -> np.ndarray:
        return values[rng.integers(0, values.size, size=(N_BOOT, values.size))].mean(axis=1)

    def overall(seed: int) -> tuple[float, float]:
        return tuple(map(float, np.percentile(draw(d, np.random.default_rng(seed)), [2.5, 97.5])))

    def contrast(seed: int) -> tuple[float, float]:
        rng = np.random.default_rng(seed)
        return tuple(map(float, np.percentile(draw(d[heavy], rng) - draw(d[~heavy], rng), [2.5, 97.5])))

    label = f"{w.name} − {n.name}"
    first = Test(label, float(d.mean()), *overall(SEED), expected="pos",
                 p_exact=mcnemar_p(int((d > 0).sum()), int((d < 0).sum())),
                 redrawn=tuple(overall(s) for s in STABILITY_SEEDS[1:]))
    value = float(d[heavy].mean() - d[~heavy].mean()) if heavy.any() and (~heavy).any() else math.nan
    second = Test(label, value, *contrast(SEED), expected="pos",
                  redrawn=tuple(contrast(s) for s in STABILITY_SEEDS[1:]))
    configs = sorted({w.scored[i][0] for i in common})
    return first, second, {c: float(d[[w.scored[i][0] == c for i in common]].mean()) for c in configs}


def c4(rows: Sequence[ModelRow]) -> Claim:
    text = "WINGS beats the naive model on IIT, most on the text-heavy configurations."
    by_seed = {v: {r.info.get("seed") or 0: r for r in _group(rows, "headline", v) if r.scored}
               for v in ("wings", "naive")}
    seeds = sorted(set(by_seed["wings"]) & set(by_seed["naive"]))
    if not seeds:
        return untested("C4", text, "no headline pair with per-item IIT results")
    found = [_iit_tests(by_seed["wings"][s], by_seed["naive"][s]) for s in seeds]
    overall, contrast = [f[0] for f in found], [f[1] for f in found]
    per_config = {c: sum(f[2].get(c, 0.0) for f in found) / len(found) for c in found[0][2]}
    n_items = len(set(by_seed["wings"][seeds[0]].scored) & set(by_seed["naive"][seeds[0]].scored))
    return decided(
        "C4", text, f"paired IIT Δ WINGS − naive per seed pair: {_per_seed(overall)}; text-heavy configs (more T "
        f"than V turns) − the others: " + "; ".join(f"{t.label} {pts(t.value)} {ci_pts(t.lo, t.hi)}"
                                                   for t in contrast),
        f"{len(seeds)} seed pairs (seed k WINGS vs seed k naive), {n_items} IIT items each, paired by item",
        "per config, mean over the pairs: " + "; ".join(f"{c} {pts(v)}" for c, v in per_config.items()),
        overall + contrast, "; ".join(f"{kind} {t.label}: {describe(t)}" for kind, group in
                                      (("overall", overall), ("text-heavy contrast", contrast))
                                      for t in group if describe(t) != "for"))


def _score(rows: Sequence[ModelRow]) -> tuple[float, float] | None:
    """Mean over rows (seeds) of (text accuracy + multimodal accuracy) / 2, what an LR scheme or learner set should
    keep, and the variance of that mean: item sampling (binomial; text: the forgetting run's n items, mm: the zoo
    card's n) plus, with two seeds or more, the seed-to-seed variance of the score over the number of seeds."""
    vals = []
    for r in rows:
        text = (r.forgetting or {}).get("comparison", {}).get("overall", {})
        mm, mm_n = r.info.get("mm_acc"), r.info.get("mm_n")
        if text.get("acc_a") is None or mm is None or not mm_n or not text.get("n"):
            continue
        var = (text["acc_a"] * (1 - text["acc_a"]) / text["n"] + mm * (1 - mm) / mm_n) / 4
        vals.append(((text["acc_a"] + mm) / 2, var))
    if not vals:
        return None
    k = len(vals)
    mean = sum(v[0] for v in vals) / k
    seeds = sum((v[0] - mean) ** 2 for v in vals) / (k - 1) / k if k > 1 else 0.0
    return mean, sum(v[1] for v in vals) / k ** 2 + seeds


def _versus(best: str, scores: dict[str, tuple[float, float]], prefix: str = "") -> list[Test]:
    """`best` − each other option with a 95% CI (normal approximation; unpaired, which is conservative for the item
    part as the models answer the same items)."""
    tests = []
    for other in sorted(k for k in scores if k != best):
        diff = scores[best][0] - scores[other][0]
        half = 1.96 * math.sqrt(scores[best][1] + scores[other][1])
        tests.append(Test(f"{prefix}{best} − {other}", diff, diff - half, diff + half, expected="pos"))
    return tests


def _scores(options: dict[str, list[ModelRow]]) -> dict[str, tuple[float, float]]:
    found = {k: _score(v) for k, v in options.items() if v}
    return {k: v for k, v in found.items() if v is not None}


def _listed(tests: Sequence[Test]) -> str:
    return ", ".join(f"{t.label} {pts(t.value)} {ci_pts(t.lo, t.hi)}" for t in tests)


def c5(rows: Sequence[ModelRow]) -> Claim:
    text = "The split learning-rate scheme (high projector, low LLM) is the best of the three schemes."
    tests, detail, seeds = [], [], []
    for method, headline_scheme in (("naive", "uniform-high"), ("wings", "split")):
        options = {s: _group(rows, "lr-scheme", f"{method}/{s}") for s in ("uniform-high", "uniform-low", "split")}
        options[headline_scheme] = options[headline_scheme] + _group(rows, "headline", method)
        scores = _scores(options)
        if "split" not in scores or len(scores) < 2:
            continue  # one scheme alone is no comparison (e.g. only the headline model of this method)
        tests += _versus("split", scores, f"{method}: ")
        seeds += [len(options[k]) for k in scores]
        detail.append(f"{method}: " + ", ".join(f"{k} {fmt(v[0])} ({len(options[k])} seeds)"
                                                 for k, v in sorted(scores.items())))
    if not tests:
        return untested("C5", text, "no method with the split scheme and another")
    return decided("C5", text, "(text acc + mm acc) / 2, split − other scheme, mean over seeds: " + _listed(tests),
                   f"seed means, {min(seeds)}–{max(seeds)} seeds per scheme; CI: item sampling (binomial) + "
                   "seed-to-seed variance, normal", "; ".join(detail), tests,
                   "split is not ahead of every scheme with a CI excluding 0")


def c6(rows: Sequence[ModelRow]) -> Claim:
    text = "Both learners together beat either learner alone (and no learners)."
    options = {v: _group(rows, "learners", v) for v in ("visual", "textual", "none")}
    options["both"] = [r for r in _group(rows, "headline", "wings") if r.info.get("seed") in (0, None)]
    scores = _scores(options)
    if "both" not in scores or len(scores) < 4:
        return untested("C6", text, "learner variants missing")
    tests = _versus("both", scores)
    return decided("C6", text, "(text acc + mm acc) / 2, both − other learner set: " + _listed(tests),
                   "seed 0 of each learner set (one model each); CI: item sampling only (binomial, normal)",
                   ", ".join(f"{k} {fmt(v[0])}" for k, v in sorted(scores.items())), tests,
                   "both learners are not ahead of every other set with a CI excluding 0")


def claims(rows: Sequence[ModelRow], variants: Sequence[str]) -> list[Claim]:
    """Every claim on the distinct rows; `variants`: the LAWS variants, the default (C3's) first."""
    rows = distinct(rows)
    return [c1(rows), c2(rows), c3(rows, variants), c4(rows), c5(rows), c6(rows), f1(rows), f2(rows)]


def reproduction_markdown(found: Sequence[Claim], command: str, intro: str) -> str:
    lines = ["# Reproducing the WINGS paper's claims", "", f"Generated by `{command}`; do not edit by hand.", "",
             intro, "", RULE, "",
             "| claim | statement | statistic (95% CI) | population | evidence | verdict | why |",
             "|---|---|---|---|---|---|---|"]
    for c in found:
        cells = [c.key, c.text, c.statistic, c.population, c.evidence, f"**{c.verdict}**", c.why or "–"]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


__all__ = ["MM_MARGIN", "c1", "c2", "c4", "c5", "c6", "claims", "forgetting_test", "reproduction_markdown"]
