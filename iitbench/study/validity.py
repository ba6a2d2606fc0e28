"""The validity study: how well each per-model quantity predicts text forgetting (text Δ vs the base LLM).

Predictors: the attention shift under every LAWS analysis variant, every number of a model's diagnose.json (written
by `iitbench diagnose`; read generically, so new ones join without code), and reference quantities the result files
hold (log10 of the LLM learning rate, a recipe setting rather than a measurement; multimodal and IIT accuracy; the
context effect). For each family of models (a shared base LLM; all families pooled too when there are several) and
each population:
- all models: every model with both numbers;
- trained LLM: models whose LLM trained (a frozen LLM cannot forget, so it only shows that training moves the
  predictor, not that the predictor tracks how much was forgotten);
- recipe means: the trained models averaged over the seeds of each recipe (one point per recipe);
it gives Pearson and Spearman r with recipe-clustered bootstrap CIs (seeds of one recipe are not independent), the
leave-one-out range of r, the partial r given log10 of the LLM learning rate, the predictor's seed reliability (from
the seed replicates, `stats.seed_reliability`) and r corrected for it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from iitbench.study.stats import Estimate, Reliability, correlation, disattenuated, loo_range, seed_reliability
from iitbench.study.tables import ModelRow, context_effect, distinct

POPULATIONS = ("all models", "trained LLM", "recipe means")
#: the summary scalars of `iitbench diagnose` (diagnose.json schema 1, iitbench/diagnose/assemble.py); listed as "not
#: computed here" while no model of a family has them
EXPECTED_DIAGNOSE = ("kl_mean", "kl_reverse_mean", "js_mean", "cka_mean", "cka_drift_mean", "weight_drift_mean",
                     "weight_drift_global", "mixing_mean", "mixing_early_mean")
#: the sign a drift is expected to have with text Δ (more drift, more forgetting: negative r; CKA is similarity, so
#: positive); first matching prefix wins, mixing has no expected sign
_EXPECTED_SIGN = (("kl", "−"), ("js", "−"), ("cka_drift", "−"), ("cka", "+"), ("weight_drift", "−"))


def _sign(key: str) -> str:
    return next((s for prefix, s in _EXPECTED_SIGN if key.startswith(prefix)), "–")


@dataclass(frozen=True)
class Predictor:
    name: str
    source: str
    sign: str  # the sign its r with text Δ is claimed to have ("−", "+") or "–" when nothing is claimed
    value: Callable[[ModelRow], float | None]


@dataclass(frozen=True)
class Validity:
    family: str
    predictor: Predictor
    population: str
    pearson: Estimate | None = None
    spearman: Estimate | None = None
    loo: tuple[float, float] | None = None
    partial: Estimate | None = None
    reliability: Reliability | None = None
    status: str = ""  # why a predictor has no numbers

    @property
    def corrected(self) -> float | None:
        if self.pearson is None or self.reliability is None:
            return None
        return disattenuated(self.pearson.value, self.reliability.value)


def log_lr(row: ModelRow) -> float | None:
    lr = row.info.get("lr_llm")
    return math.log10(lr) if lr and row.llm_trained else None


def _iit_acc(row: ModelRow) -> float | None:
    return ((row.iit or {}).get("metrics", {}).get("overall", {})).get("acc")


def identical_variants(rows: Sequence[ModelRow], variants: Sequence[str]) -> dict[str, list[str]]:
    """LAWS variants grouped by their shifts: {first variant: later variants with the same shift for every model
    (to 1e-9)}. Averaging heads and per-query normalisation scale each sample by a constant, so they always join
    their sum variant; excluding sinks joins where no sink is content text. Such variants are one predictor."""
    groups: dict[str, list[str]] = {}
    for v in variants:
        same = next((k for k in groups if all((r.shift(k) is None) == (r.shift(v) is None) and
                                              (r.shift(k) is None or abs(r.shift(k) - r.shift(v)) < 1e-9)
                                              for r in rows)), None)
        groups.setdefault(same or v, []).extend([v] if same else [])
    return groups


def predictors(rows: Sequence[ModelRow], variants: Sequence[str]) -> list[Predictor]:
    """Every predictor the rows hold: LAWS variants (default first; variants with identical shifts as one),
    diagnose.json numbers, reference quantities."""
    found = [Predictor(f"shift ({v})", "LAWS" + (f"; same shift: {', '.join(same)}" if same else ""), "−",
                       lambda r, v=v: r.shift(v)) for v, same in identical_variants(rows, variants).items()]
    for key in sorted({k for r in rows for k in r.diagnose}):
        found.append(Predictor(key, "diagnose.json", _sign(key), lambda r, k=key: r.diagnose.get(k)))
    return found + [Predictor("log10 LLM LR", "recipe (reference)", "−", log_lr),
                    Predictor("mm accuracy", "zoo card", "–", lambda r: r.info.get("mm_acc")),
                    Predictor("IIT accuracy", "IIT run", "–", _iit_acc),
                    Predictor("context effect", "IIT runs", "–", context_effect)]


def points(rows: Sequence[ModelRow], value: Callable[[ModelRow], float | None], population: str
           ) -> tuple[list[float], list[float], list[str], list[float | None]]:
    """(x, text Δ, cluster, log10 LLM LR) per point of a population; recipe means average x, Δ over seeds."""
    pts = [(value(r), r.delta, r.cluster, log_lr(r)) for r in distinct(rows)
           if population == "all models" or r.llm_trained]
    pts = [p for p in pts if p[0] is not None and p[1] is not None]
    if population == "recipe means":
        by: dict[str, list[tuple]] = {}
        for p in pts:
            by.setdefault(p[2], []).append(p)
        pts = [(sum(p[0] for p in g) / len(g), sum(p[1] for p in g) / len(g), k, g[0][3]) for k, g in by.items()]
    return [p[0] for p in pts], [p[1] for p in pts], [p[2] for p in pts], [p[3] for p in pts]


def _validity(family: str, rows: Sequence[ModelRow], pred: Predictor, population: str) -> Validity:
    x, y, clusters, lr = points(rows, pred.value, population)
    pearson = correlation(x, y, clusters)
    if pearson is None:
        return Validity(family, pred, population, status=f"{len(x)} models: too few")
    partial = None
    if pred.name != "log10 LLM LR" and all(v is not None for v in lr):
        partial = correlation(x, y, clusters, control=lr)
    return Validity(family, pred, population, pearson, correlation(x, y, clusters, method="spearman"),
                    loo_range(x, y), partial,
                    None if population == "recipe means" else seed_reliability(x, clusters))


def families(rows: Sequence[ModelRow]) -> dict[str, list[ModelRow]]:
    """Rows by family, plus "all families" when there are several (a family joins the same table)."""
    by: dict[str, list[ModelRow]] = {}
    for r in rows:
        by.setdefault(r.family, []).append(r)
    return {**dict(sorted(by.items())), **({"all families": list(rows)} if len(by) > 1 else {})}


def validity(rows: Sequence[ModelRow], variants: Sequence[str]) -> list[Validity]:
    """Every (family, predictor, population), predictors ranked by |r| over trained models; then the expected
    diagnose predictors no model has (they need the weights)."""
    out = []
    for family, members in families(rows).items():
        found = [[_validity(family, members, p, pop) for pop in POPULATIONS] for p in predictors(members, variants)]
        found = [f for f in found if any(v.pearson for v in f)]
        found.sort(key=lambda f: -round(abs(f[1].pearson.value), 9) if f[1].pearson else 0.0)  # ties: listed order
        out += [v for f in found for v in f]
        have = {k for r in members for k in r.diagnose}
        out += [Validity(family, Predictor(k, "diagnose.json", _sign(k), lambda r: None), "–",
                         status="not computed here: `iitbench diagnose` needs the model weights (absent on the "
                                "machine that made this table); rows appear once diagnose/diagnose.json exists")
                for k in EXPECTED_DIAGNOSE if k not in have]
    return out


def _r(e: Estimate | None) -> str:
    return "–" if e is None else f"{e.value:+.2f} [{e.lo:+.2f}, {e.hi:+.2f}]"


def table(found: Sequence[Validity]) -> tuple[list[str], list[list[str]]]:
    head = ["family", "predictor", "source", "claimed sign", "population", "models", "recipes",
            "Pearson r [95% CI]", "Spearman r [95% CI]", "leave-one-out r range", "partial r | log10 LLM LR [95% CI]",
            "seed reliability (df)", "r corrected for reliability"]
    body = []
    for v in found:
        p, e = v.predictor, v.pearson
        if e is None:
            row = [v.family, p.name, p.source, p.sign, v.population, "–", "–", v.status or "–"]
            body.append(row + ["–"] * (len(head) - len(row)))
            continue
        rel, corrected = v.reliability, v.corrected
        body.append([v.family, p.name, p.source, p.sign, v.population, str(e.n), str(e.clusters), _r(e),
                     _r(v.spearman), "–" if v.loo is None else f"{v.loo[0]:+.2f} to {v.loo[1]:+.2f}", _r(v.partial),
                     "–" if rel is None else f"{rel.value:.2f} ({rel.df})",
                     "–" if corrected is None else f"{corrected:+.2f}"])
    return head, body


def csv_table(found: Sequence[Validity]) -> tuple[list[str], list[list[str]]]:
    """The same rows with one number per column (for analysis; 4 decimals)."""
    head = ["family", "predictor", "source", "claimed_sign", "population", "models", "recipes", "pearson",
            "pearson_lo", "pearson_hi", "spearman", "spearman_lo", "spearman_hi", "loo_min", "loo_max", "partial",
            "partial_lo", "partial_hi", "reliability", "reliability_df", "reliability_recipes", "corrected", "status"]

    def num(x: float | None) -> str:
        return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4f}"

    body = []
    for v in found:
        p, e, s, pr, rel = v.predictor, v.pearson, v.spearman, v.partial, v.reliability
        body.append([v.family, p.name, p.source, p.sign, v.population, str(e.n) if e else "",
                     str(e.clusters) if e else "",
                     *(num(getattr(x, a)) if x else "" for x in (e, s) for a in ("value", "lo", "hi")),
                     num(v.loo[0]) if v.loo else "", num(v.loo[1]) if v.loo else "",
                     *(num(getattr(pr, a)) if pr else "" for a in ("value", "lo", "hi")),
                     num(rel.value) if rel else "", str(rel.df) if rel else "", str(rel.recipes) if rel else "",
                     num(v.corrected), v.status])
    return head, body


def outcome_reliability(rows: Sequence[ModelRow]) -> Reliability | None:
    """Seed reliability of text Δ itself over the trained models (what caps every r together with the
    predictor's)."""
    _, y, clusters, _ = points(rows, lambda r: 0.0, "trained LLM")
    return seed_reliability(y, clusters)


def plot(found: Sequence[Validity], path) -> object | None:
    """Forest plot: r over trained models (recipe-clustered CI) per predictor, all models as open circles."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    family = found[0].family if found else None
    trained = [v for v in found if v.family == family and v.population == "trained LLM" and v.pearson]
    if not trained:
        return None
    every = {v.predictor.name: v.pearson for v in found if v.family == family and v.population == "all models"}
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(trained) + 1.2))
    for i, v in enumerate(trained):
        e = v.pearson
        ax.plot([e.lo, e.hi], [i, i], color="#2e86c1", linewidth=2)
        ax.plot([e.value], [i], "o", color="#2e86c1")
        if every.get(v.predictor.name):
            ax.plot([every[v.predictor.name].value], [i], "o", mfc="none", color="#7f8c8d")
    ax.set_yticks(range(len(trained)), [v.predictor.name for v in trained], fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlim(-1, 1)
    ax.set_title(f"predictors of text Δ, family {family}", fontsize=9)
    ax.set_xlabel("r with text Δ (filled: trained LLM, 95% CI resampling recipes; open: all models)", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120, metadata={"Software": None})
    plt.close(fig)
    return path


__all__ = ["EXPECTED_DIAGNOSE", "POPULATIONS", "Predictor", "Validity", "csv_table", "families", "identical_variants",
           "log_lr", "outcome_reliability", "plot", "points", "predictors", "table", "validity"]
