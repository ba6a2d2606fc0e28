"""`iitbench leaderboard STUDY_DIR --out DIR`: a study's tables (Markdown + CSV) and plot, from its small result files.

Reads, per model directory: model.json, iit/ and context/ (results.json, scored.csv), forgetting/forgetting.json and
laws-<variant>/laws_summary.json and diagnose/diagnose.json (when the study ran `iitbench diagnose`); never weights or
samples. Writes:
  models.md / models.csv              per model: method, seed, LLM LR, IIT accuracy, text accuracy vs its base (paired
                                      delta, 95% CI, McNemar p), multimodal accuracy, context effect
  laws.md / laws.csv                  per model and LAWS variant: the attention shift with its 95% CI
  correlations.md / correlations.csv  per LAWS variant: r(shift, text delta) over models with a bootstrap CI, and the
                                      partial r controlling for log10 of the LLM learning rate (the first analysis;
                                      superseded by predictors.md, which clusters seeds by recipe)
  predictors.md / .csv / .png         every predictor of text delta (`iitbench.study.validity`)
  shift_vs_forgetting.png             the default variant's scatter
  REPRODUCTION.md                     the paper's claims checked on the study (`iitbench.study.claims`)
Every table starts with the command that rebuilds it; the bytes depend only on the inputs (fixed bootstrap seed).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iitbench.errors import UserError
from iitbench.study.stats import N_BOOT, SEED

DIAGNOSE_FILE = Path("diagnose") / "diagnose.json"
#: top-level numbers of a diagnose.json that describe the run, not the model (read without `summary`, `predictors`)
NOT_PREDICTORS = frozenset({"schema_version", "seed", "n", "n_boot", "version"})


@dataclass(frozen=True)
class ModelRow:
    name: str
    info: dict[str, Any]
    iit: dict[str, Any] | None = None  # results.json of the IIT run
    forgetting: dict[str, Any] | None = None  # forgetting.json
    laws: dict[str, dict[str, Any]] = field(default_factory=dict)  # variant key -> laws_summary.json
    scored: dict[str, tuple[str, int]] = field(default_factory=dict)  # IIT: id -> (config, correct)
    scored_context: dict[str, tuple[str, int]] = field(default_factory=dict)  # the same items, context cut
    diagnose: dict[str, float] = field(default_factory=dict)  # predictor name -> value, from diagnose.json

    @property
    def delta(self) -> float | None:
        return None if self.forgetting is None else self.forgetting["comparison"]["overall"]["delta"]

    def shift(self, variant: str) -> float | None:
        summary = self.laws.get(variant)
        value = None if summary is None else summary["shift"]["value"]
        return None if value is None or (isinstance(value, float) and math.isnan(value)) else value

    @property
    def cluster(self) -> str:
        """The independent unit: a recipe with all its seeds (model.json's seed-free `recipe_key`), else the model's
        recipe hash, else its name (a model of its own)."""
        return str(self.info.get("recipe_key") or self.info.get("recipe_hash") or self.name)

    @property
    def family(self) -> str:
        """Models that share a base LLM: model.json's `family` (the study's meta), else the base LLM's name."""
        base = str(self.info.get("base") or "")
        return str(self.info.get("family") or Path(base.partition(":")[2] or base).name or "–")

    @property
    def llm_trained(self) -> bool:
        """False only when the card says no LLM parameter trained (a frozen LLM: its text cannot change)."""
        if "llm_trained" in self.info:
            return bool(self.info["llm_trained"])
        trained = self.info.get("trained")
        return trained is None or any(t == "llm" or t.startswith("llm_") for t in trained)


def read_predictors(path: Path) -> dict[str, float]:
    """The per-model predictors of a diagnose.json: the numbers of its `summary` mapping (schema 1 of
    iitbench/diagnose/assemble.py: {name: {"value", "lo", "hi", "n"}}, value null where not computed); without one,
    those of a `predictors` mapping, else its top-level numbers (run descriptions such as n_* and seed left out).
    {"value": x} entries count as x; null, NaN and booleans are skipped."""
    data = _json(path) or {}
    scalars = next((data[k] for k in ("summary", "predictors") if isinstance(data.get(k), dict)), data)
    out = {}
    for key, value in scalars.items():
        if isinstance(value, dict):
            value = value.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            continue
        if scalars is data and (key in NOT_PREDICTORS or key.startswith("n_")):
            continue
        out[str(key)] = float(value)
    return out


def _json(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def collect(study_dir: Path) -> list[ModelRow]:
    """Every model directory of a study output, by name."""
    from iitbench.study.derived import SCORED_FILE, read_scored

    study_dir = Path(study_dir)
    if not study_dir.is_dir():
        raise UserError(f"{study_dir}: not a study output directory (run `iitbench study STUDY.yaml` first)")
    rows = []
    for d in sorted(p for p in study_dir.iterdir() if (p / "model.json").is_file()):
        laws = {p.name.removeprefix("laws-"): _json(p / "laws_summary.json")
                for p in sorted(d.glob("laws-*")) if (p / "laws_summary.json").is_file()}
        rows.append(ModelRow(name=d.name, info=_json(d / "model.json") or {}, iit=_json(d / "iit" / "results.json"),
                             forgetting=_json(d / "forgetting" / "forgetting.json"), laws=laws,
                             scored=read_scored(d / "iit") if (d / "iit" / SCORED_FILE).is_file() else {},
                             scored_context=read_scored(d / "context") if (d / "context" / SCORED_FILE).is_file()
                             else {}, diagnose=read_predictors(d / DIAGNOSE_FILE)))
    if not rows:
        raise UserError(f"{study_dir}: no model directory (model.json) found; run `iitbench study` into it")
    return rows


def fmt(x: float | None, scale: float = 100.0, digits: int = 1, signed: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{scale * x:{'+' if signed else ''}.{digits}f}"


def ci(pair: Sequence[float] | None, scale: float = 100.0, digits: int = 1, signed: bool = True) -> str:
    return "–" if not pair else f"[{fmt(pair[0], scale, digits, signed)}, {fmt(pair[1], scale, digits, signed)}]"


def context_effect(row: ModelRow) -> float | None:
    """Accuracy on the IIT items with their context turns minus without (paired over the items scored both ways)."""
    common = sorted(set(row.scored) & set(row.scored_context))
    if not common:
        return None
    return sum(row.scored[i][1] - row.scored_context[i][1] for i in common) / len(common)


def _llm_lr(r: ModelRow) -> str:
    lr = r.info.get("lr_llm")
    if r.info.get("merge_alpha") is not None:
        return f"merge α {r.info['merge_alpha']:g}"
    return "frozen" if lr is None and r.info.get("method") else (f"{lr:g}" if lr else "–")


def models_table(rows: Sequence[ModelRow]) -> tuple[list[str], list[list[str]]]:
    head = ["model", "method", "seed", "LLM LR", "IIT acc", "text acc", "base text acc", "text Δ (pts)", "95% CI",
            "McNemar p", "mm acc", "context effect (pts)"]
    body = []
    for r in rows:
        c = (r.forgetting or {}).get("comparison", {}).get("overall", {})
        p = c.get("mcnemar_p")
        body.append([r.name, str(r.info.get("method") or "–"), str(r.info.get("seed", "–")),
                     _llm_lr(r),
                     fmt((r.iit or {}).get("metrics", {}).get("overall", {}).get("acc")), fmt(c.get("acc_a")),
                     fmt(c.get("acc_b")), fmt(c.get("delta"), signed=True), ci(c.get("delta_ci95")),
                     "–" if p is None else f"{p:.2g}", fmt(r.info.get("mm_acc")),
                     fmt(context_effect(r), signed=True)])
    return head, body


def laws_table(rows: Sequence[ModelRow], variants: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    head = ["model"] + [f"shift ({v})" for v in variants]
    body = []
    for r in rows:
        cells = []
        for v in variants:
            s = (r.laws.get(v) or {}).get("shift")
            cells.append("–" if not s else f"{s['value']:.3f} [{s['lo']:.3f}, {s['hi']:.3f}]")
        body.append([r.name] + cells)
    return head, body


def distinct(rows: Sequence[ModelRow]) -> list[ModelRow]:
    """One row per trained model: rows whose zoo card has the same recipe hash (one model under two names, as
    wings-tiny and sweep-wings-split once were) count once, under the first name."""
    seen: set[str] = set()
    out = []
    for r in rows:
        key = r.info.get("recipe_hash")
        if key is None or key not in seen:
            out.append(r)
        if key is not None:
            seen.add(key)
    return out


def correlations(rows: Sequence[ModelRow], variant: str) -> dict[str, Any]:
    """r(shift, delta) over the distinct models with both, and the partial r controlling for log10(LLM LR)."""
    from iitbench.laws.curves import correlation, partial_correlation

    pairs = [(r.shift(variant), r.delta, r.info.get("lr_llm")) for r in distinct(rows)]
    pairs = [p for p in pairs if p[0] is not None and p[1] is not None]
    out: dict[str, Any] = {"variant": variant, "n": len(pairs), "r": None, "partial": None, "n_partial": 0}
    if len(pairs) >= 3:
        out["r"] = correlation([p[0] for p in pairs], [p[1] for p in pairs], N_BOOT, SEED).to_json()
    with_lr = [p for p in pairs if p[2]]
    out["n_partial"] = len(with_lr)
    if len(with_lr) >= 4:
        out["partial"] = partial_correlation([p[0] for p in with_lr], [p[1] for p in with_lr],
                                             [math.log10(p[2]) for p in with_lr], N_BOOT, SEED).to_json()
    return out


def corr_table(results: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    head = ["LAWS variant", "models", "r(shift, text Δ)", "r 95% CI", "partial r | log10 LLM LR", "partial r 95% CI",
            "models (partial r)"]  # distinct names: CSV readers (pandas) rename repeated headers
    body = []
    for c in results:
        r, pr = c["r"], c["partial"]
        body.append([c["variant"], str(c["n"]), "–" if not r else f"{r['value']:+.2f}",
                     "–" if not r else f"[{r['lo']:+.2f}, {r['hi']:+.2f}]", "–" if not pr else f"{pr['value']:+.2f}",
                     "–" if not pr else f"[{pr['lo']:+.2f}, {pr['hi']:+.2f}]", str(c["n_partial"])])
    return head, body


def markdown(title: str, command: str, head: list[str], body: list[list[str]], note: str = "") -> str:
    lines = [f"# {title}", "", f"Generated by `{command}`; do not edit by hand.", ""]
    if note:
        lines += [note, ""]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in head) + " |",  # "partial r | LR" is one cell
              "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in body]
    return "\n".join(lines) + "\n"


def to_csv(head: list[str], body: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(head)
    writer.writerows(body)
    return buf.getvalue()


__all__ = ["DIAGNOSE_FILE", "ModelRow", "collect", "context_effect", "corr_table", "correlations", "distinct",
           "laws_table", "markdown", "models_table", "read_predictors", "to_csv"]
