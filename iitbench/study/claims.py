"""The WINGS paper's claims, checked on a study (REPRODUCTION.md): one row per claim with its statistic, 95% CI,
the models and seeds it rests on, and a verdict.

Models take their roles from the study file's `meta`: `group` (headline, lr-scheme, learners, length, replay,
llm-parts) and `variant` (e.g. naive, wings, naive/split, wings/uniform-low, visual, textual, none), plus the zoo
card's method, seed and learning rates (model.json). A claim whose models are missing says so instead of a verdict.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from iitbench.study.tables import N_BOOT, SEED, ModelRow, context_effect, distinct, fmt

REPRODUCED, NOT, MIXED, UNTESTED = "reproduced", "not reproduced", "mixed", "not testable here"
INCONCLUSIVE = "inconclusive"  # the statistic's CI includes 0: neither supports nor contradicts the claim


@dataclass(frozen=True)
class Claim:
    key: str
    text: str
    statistic: str
    evidence: str
    verdict: str
    why: str = ""


def _group(rows: Sequence[ModelRow], group: str, variant: str | None = None) -> list[ModelRow]:
    return [r for r in rows if r.info.get("group") == group and (variant is None or r.info.get("variant") == variant)]


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


def _versus(best: str, scores: dict[str, tuple[float, float]]) -> tuple[list[str], list[str]]:
    """`best` − each other option with a 95% CI (normal approximation; unpaired, which is conservative for the item
    part as the models answer the same items); returns the CI signs and their descriptions."""
    signs, parts = [], []
    for other in sorted(k for k in scores if k != best):
        diff = scores[best][0] - scores[other][0]
        half = 1.96 * math.sqrt(scores[best][1] + scores[other][1])
        signs.append(_sign(diff - half, diff + half))
        parts.append(f"{best} − {other} {fmt(diff, signed=True)} [{fmt(diff - half, signed=True)}, "
                     f"{fmt(diff + half, signed=True)}]")
    return signs, parts


def _deltas(rows: Sequence[ModelRow]) -> str:
    return "; ".join(f"{r.name} {fmt(r.delta, signed=True)} {_ci(r)}" for r in rows if r.forgetting)


def _ci(row: ModelRow) -> str:
    lo, hi = row.forgetting["comparison"]["overall"]["delta_ci95"] or (float("nan"), float("nan"))
    return f"[{fmt(lo, signed=True)}, {fmt(hi, signed=True)}]"


def _bootstrap_mean(values: Sequence[float]) -> tuple[float, float, float]:
    arr = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(SEED)
    boots = arr[rng.integers(0, arr.size, size=(N_BOOT, arr.size))].mean(axis=1)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return float(arr.mean()), float(lo), float(hi)


def _sign(lo: float, hi: float) -> str:
    """Where a CI lies: 'neg' (below 0), 'pos' (above 0) or 'zero' (includes 0)."""
    return "neg" if hi < 0 else "pos" if lo > 0 else "zero"


def _verdict(signs: Sequence[str], expected: str = "neg") -> str:
    """Claim verdict from the CI signs of its seeds or analysis choices; `expected` is the claim's direction."""
    found = set(signs)
    if found == {expected}:
        return REPRODUCED
    if found == {"zero"}:
        return INCONCLUSIVE
    if expected not in found:
        return NOT if found - {"zero"} else INCONCLUSIVE
    return MIXED


def c1(rows: Sequence[ModelRow]) -> Claim:
    naive = [r for r in _group(rows, "headline", "naive") if r.forgetting]
    text = "Naive multimodal training (full fine-tune at a high LLM learning rate) forgets text skills."
    if not naive:
        return Claim("C1", text, "–", "no headline naive model", UNTESTED)
    verdict = _verdict([_sign(*r.forgetting["comparison"]["overall"]["delta_ci95"]) for r in naive])
    mean = sum(r.delta for r in naive) / len(naive)
    return Claim("C1", text, f"paired text Δ vs base, mean {fmt(mean, signed=True)} pts over {len(naive)} seeds",
                 _deltas(naive), verdict)


def c2(rows: Sequence[ModelRow]) -> Claim:
    wings, naive = _group(rows, "headline", "wings"), _group(rows, "headline", "naive")
    text = "WINGS keeps text skills at a multimodal accuracy similar to the naive model's."
    if not wings or not naive:
        return Claim("C2", text, "–", "no headline WINGS / naive models", UNTESTED)
    los = [r.forgetting["comparison"]["overall"]["delta_ci95"][0] for r in wings if r.forgetting]
    his = [r.forgetting["comparison"]["overall"]["delta_ci95"][1] for r in wings if r.forgetting]
    mm = [r.info.get("mm_acc") for r in wings], [r.info.get("mm_acc") for r in naive]
    gap = (sum(mm[0]) / len(mm[0]) - sum(mm[1]) / len(mm[1])) if all(v is not None for v in mm[0] + mm[1]) else None
    keeps = all(h >= 0 for h in his)
    similar = gap is not None and gap >= -0.05
    verdict = REPRODUCED if keeps and similar else NOT if not keeps and not similar else MIXED
    why = "" if verdict == REPRODUCED else ("text lost with CI excluding 0 for a seed" if not keeps else
                                            f"multimodal accuracy {fmt(gap, signed=True)} pts below naive")
    return Claim("C2", text, f"text Δ per seed; mm accuracy WINGS − naive {fmt(gap, signed=True)} pts",
                 _deltas(wings) + f" (lowest CI bound {fmt(min(los), signed=True)})", verdict, why)


def c3(corrs: Sequence[dict]) -> Claim:
    """From `tables.correlations` of each LAWS variant (computed once, for the correlations table too)."""
    text = "A larger attention shift goes with more text forgetting (negative r over models)."
    found = [c for c in corrs if c["r"]]
    if not found:
        return Claim("C3", text, "–", "fewer than 3 models with both LAWS and forgetting", UNTESTED)
    verdict = _verdict([_sign(c["r"]["lo"], c["r"]["hi"]) for c in found])
    main = found[0]
    stat = "; ".join(f"{c['variant']}: r {c['r']['value']:+.2f} [{c['r']['lo']:+.2f}, {c['r']['hi']:+.2f}]"
                     + (f", partial | LR {c['partial']['value']:+.2f} [{c['partial']['lo']:+.2f}, "
                        f"{c['partial']['hi']:+.2f}]" if c["partial"] else "") for c in found)
    why = ("" if verdict == REPRODUCED else
           "the shift does not predict forgetting with a CI that excludes 0 under every analysis choice; see the "
           "partial r: what the LLM learning rate explains is removed")
    return Claim("C3", text, stat, f"{main['n']} models", verdict, why)


def c4(rows: Sequence[ModelRow]) -> Claim:
    text = "WINGS beats the naive model on IIT, most on the text-heavy configurations."
    pick = {v: next((r for r in _group(rows, "headline", v) if r.info.get("seed") in (0, None) and r.scored), None)
            for v in ("wings", "naive")}
    if None in pick.values():
        return Claim("C4", text, "–", "no headline pair with per-item IIT results", UNTESTED)
    w, n = pick["wings"].scored, pick["naive"].scored
    common = sorted(set(w) & set(n))
    by_config: dict[str, list[float]] = defaultdict(list)
    for i in common:
        by_config[w[i][0]].append(w[i][1] - n[i][1])
    parts, best = [], None
    for config, diffs in sorted(by_config.items()):
        mean, lo, hi = _bootstrap_mean(diffs)
        parts.append(f"{config} {fmt(mean, signed=True)} [{fmt(lo, signed=True)}, {fmt(hi, signed=True)}]")
        best = config if best is None or mean > sum(by_config[best]) / len(by_config[best]) else best
    overall = _bootstrap_mean([d for diffs in by_config.values() for d in diffs])
    text_heavy = best is not None and best.count("T") > best.count("V")
    sign = _sign(overall[1], overall[2])
    verdict = (INCONCLUSIVE if sign == "zero" else NOT if sign == "neg" else REPRODUCED if text_heavy else MIXED)
    return Claim("C4", text, f"paired IIT Δ WINGS − naive {fmt(overall[0], signed=True)} "
                 f"[{fmt(overall[1], signed=True)}, {fmt(overall[2], signed=True)}] pts over {len(common)} items",
                 "per config: " + "; ".join(parts), verdict,
                 "" if verdict == REPRODUCED else f"largest gain on {best}")


def _scores(options: dict[str, list[ModelRow]]) -> dict[str, tuple[float, float]]:
    found = {k: _score(v) for k, v in options.items() if v}
    return {k: v for k, v in found.items() if v is not None}


def c5(rows: Sequence[ModelRow]) -> Claim:
    text = "The split learning-rate scheme (high projector, low LLM) is the best of the three schemes."
    signs, parts, detail = [], [], []
    for method, headline_scheme in (("naive", "uniform-high"), ("wings", "split")):
        options = {s: _group(rows, "lr-scheme", f"{method}/{s}") for s in ("uniform-high", "uniform-low", "split")}
        options[headline_scheme] = options[headline_scheme] + _group(rows, "headline", method)
        scores = _scores(options)
        if "split" not in scores or len(scores) < 2:
            continue  # one scheme alone is no comparison (e.g. only the headline model of this method)
        found, described = _versus("split", scores)
        signs += found
        parts.append(f"{method}: " + ", ".join(described))
        detail.append(f"{method}: " + ", ".join(f"{k} {fmt(v[0])} ({len(options[k])} seeds)"
                                                 for k, v in sorted(scores.items())))
    if not signs:
        return Claim("C5", text, "–", "no method with the split scheme and another", UNTESTED)
    verdict = _verdict(signs, expected="pos")
    return Claim("C5", text, "(text acc + mm acc) / 2, split − other scheme, mean over seeds: " + "; ".join(parts),
                 "; ".join(detail), verdict,
                 "" if verdict == REPRODUCED else "split is not ahead of every scheme with a CI excluding 0")


def c6(rows: Sequence[ModelRow]) -> Claim:
    text = "Both learners together beat either learner alone (and no learners)."
    options = {v: _group(rows, "learners", v) for v in ("visual", "textual", "none")}
    options["both"] = [r for r in _group(rows, "headline", "wings") if r.info.get("seed") in (0, None)]
    scores = _scores(options)
    if "both" not in scores or len(scores) < 4:
        return Claim("C6", text, "–", "learner variants missing", UNTESTED)
    signs, parts = _versus("both", scores)
    verdict = _verdict(signs, expected="pos")
    return Claim("C6", text, "(text acc + mm acc) / 2, both − other learner set: " + "; ".join(parts),
                 ", ".join(f"{k} {fmt(v[0])}" for k, v in sorted(scores.items())) + " (seed 0 each)", verdict,
                 "" if verdict == REPRODUCED else "both learners are not ahead of every other set with a CI "
                 "excluding 0")


def f1(rows: Sequence[ModelRow]) -> Claim:
    from iitbench.laws.curves import correlation

    text = "(zoo finding) The LLM's learning rate decides forgetting."
    pairs = [(math.log10(r.info["lr_llm"]), r.delta) for r in distinct(rows)
             if r.info.get("lr_llm") and r.delta is not None]
    if len(pairs) < 3:
        return Claim("F1", text, "–", "fewer than 3 models with a trained LLM", UNTESTED)
    r = correlation([p[0] for p in pairs], [p[1] for p in pairs], N_BOOT, SEED)
    verdict = _verdict([_sign(r.lo, r.hi)])
    return Claim("F1", text, f"r(log10 LLM LR, text Δ) {r.value:+.2f} [{r.lo:+.2f}, {r.hi:+.2f}]",
                 f"{len(pairs)} models", verdict)


def f2(rows: Sequence[ModelRow]) -> Claim:
    text = "(IIT) Context turns change accuracy on the same scored question."
    effects = [(r.name, context_effect(r)) for r in rows]
    effects = [e for e in effects if e[1] is not None]
    if len(effects) < 2:
        return Claim("F2", text, "–", "no context runs", UNTESTED)
    mean, lo, hi = _bootstrap_mean([e[1] for e in effects])
    verdict = REPRODUCED if lo > 0 or hi < 0 else INCONCLUSIVE
    return Claim("F2", text, f"with − without context {fmt(mean, signed=True)} [{fmt(lo, signed=True)}, "
                 f"{fmt(hi, signed=True)}] pts, mean over models", f"{len(effects)} models", verdict,
                 "" if verdict == REPRODUCED else "no context effect whose CI excludes 0")


def claims(rows: Sequence[ModelRow], corrs: Sequence[dict]) -> list[Claim]:
    """Every claim; `corrs`: `tables.correlations(rows, variant)` for each LAWS variant, default variant first."""
    return [c1(rows), c2(rows), c3(corrs), c4(rows), c5(rows), c6(rows), f1(rows), f2(rows)]


def reproduction_markdown(found: Sequence[Claim], command: str, intro: str) -> str:
    lines = ["# Reproducing the WINGS paper's claims", "", f"Generated by `{command}`; do not edit by hand.", "",
             intro, "", "| claim | statement | statistic (95% CI) | evidence | verdict | why not |",
             "|---|---|---|---|---|---|"]
    for c in found:
        cells = [c.key, c.text, c.statistic, c.evidence, f"**{c.verdict}**", c.why or "–"]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


__all__ = ["Claim", "claims", "reproduction_markdown"]
