"""What the API returns: one typed object per kind of output directory, each readable back from its files.

Every object holds the directory it wrote (the same files the CLI writes) and the parsed main file, and offers
`to_pandas(level)`: a per-item frame (what each model did on each item) and a per-group frame (per config, task,
layer or model). pandas is imported only when a frame is asked for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iitbench.errors import DataError, UserError


def _frame(rows: list[dict[str, Any]], columns: list[str] | None = None):
    import pandas as pd

    return pd.DataFrame(rows, columns=columns)


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: not a readable {what} ({type(e).__name__})") from None
    if not isinstance(data, dict):
        raise DataError(f"{path}: not a readable {what} (not a JSON object)")
    return data


def _levels(level: str, allowed: tuple[str, ...]) -> str:
    if level not in allowed:
        raise UserError(f"to_pandas(level={level!r}): use one of {', '.join(allowed)}")
    return level


def _accuracy_rows(groups: dict[str, Any], key: str) -> list[dict[str, Any]]:
    rows = []
    for name, acc in groups.items():
        if not acc:
            continue
        ci = acc.get("ci95") or [None, None]
        rows.append({key: name, "acc": acc.get("acc"), "acc_norm": acc.get("acc_norm"), "n": acc.get("n"),
                     "n_na": acc.get("n_na"), "stderr": acc.get("stderr"), "ci_lo": ci[0], "ci_hi": ci[1]})
    return rows


@dataclass(frozen=True)
class RunResults:
    """One run directory (`iitbench run`): results.json (schema: `iitbench.schema.ResultsFile`) and the
    per-turn records of samples.jsonl (`SampleRecord`; lm-eval suites: lm_eval_samples.jsonl)."""

    run_dir: Path
    results: dict[str, Any]
    computed: int = 0  # records computed by the call that returned this (0 when read back)
    resumed: int = 0  # records taken over from an earlier, interrupted call
    lm_eval: dict[str, Any] | None = None  # lm-eval suites: lm-eval's own results dict
    table: str = ""  # the printed table (lm-eval's for lm-eval suites)

    @classmethod
    def load(cls, run_dir: str | Path) -> RunResults:
        from iitbench.report.markdown import run_table
        from iitbench.schema import RESULTS_FILE

        run_dir = Path(run_dir)
        results = _read_json(run_dir / RESULTS_FILE, "results.json (run `iitbench run` first)")
        return cls(run_dir=run_dir, results=results, table=run_table(results))

    @property
    def metrics(self) -> dict[str, Any]:
        return self.results.get("metrics", {})

    @property
    def accuracy(self) -> float | None:
        """Overall accuracy over the scored turns (None when nothing was applicable)."""
        return (self.metrics.get("overall") or {}).get("acc")

    def samples(self) -> list[dict[str, Any]]:
        """The per-turn records, in file order."""
        from iitbench.run_files import read_records
        from iitbench.schema import SAMPLES_FILE

        lm = self.run_dir / "lm_eval_samples.jsonl"
        if self.lm_eval is not None or (lm.is_file() and not (self.run_dir / SAMPLES_FILE).is_file()):
            return [json.loads(line) for line in lm.read_text(encoding="utf-8").splitlines() if line.strip()]
        return read_records(self.run_dir / SAMPLES_FILE)

    def to_pandas(self, level: str = "items"):
        """`items`: one row per record of samples.jsonl; `configs`: accuracy per config (lm-eval: per task) plus
        an `overall` row."""
        if _levels(level, ("items", "configs")) == "items":
            return _frame(self.samples())
        groups = {**self.metrics.get("per_config", {}), "overall": self.metrics.get("overall")}
        return _frame(_accuracy_rows(groups, "config"))


@dataclass(frozen=True)
class ForgettingResults:
    """An `iitbench forgetting` directory: forgetting.json (the paired comparison) and the two run directories."""

    out_dir: Path
    summary: dict[str, Any]
    mllm: RunResults
    base: RunResults
    markdown: str = ""

    @classmethod
    def load(cls, out_dir: str | Path) -> ForgettingResults:
        from iitbench.report.forgetting import forgetting_markdown

        out_dir = Path(out_dir)
        summary = _read_json(out_dir / "forgetting.json", "forgetting.json (run `iitbench forgetting` first)")
        return cls(out_dir, summary, RunResults.load(out_dir / "mllm"), RunResults.load(out_dir / "base"),
                   forgetting_markdown(summary))

    @property
    def delta(self) -> float:
        """MLLM minus base text accuracy over the paired items (negative: forgetting)."""
        return float(self.summary["comparison"]["overall"]["delta"])

    def to_pandas(self, level: str = "tasks"):
        """`tasks`: the paired comparison per task and overall; `items`: one row per paired item with both
        models' predictions and correctness."""
        if _levels(level, ("tasks", "items")) == "tasks":
            comparison = self.summary["comparison"]
            groups = {**comparison["per_task"], "overall": comparison["overall"]}
            return _frame([{"task": name, **_flat(c)} for name, c in groups.items()])
        mine = {(r["id"], r["turn"]): r for r in self.mllm.samples() if r.get("scored") and r.get("status") == "ok"}
        rows = []
        for r in self.base.samples():
            other = mine.get((r["id"], r["turn"]))
            if other is None or not r.get("scored") or r.get("status") != "ok":
                continue
            rows.append({"id": r["id"], "turn": r["turn"], "task": other["source"], "gold": r["gold"],
                         "mllm_prediction": other["prediction"], "base_prediction": r["prediction"],
                         "mllm_correct": other["correct"], "base_correct": r["correct"]})
        return _frame(rows, ["id", "turn", "task", "gold", "mllm_prediction", "base_prediction", "mllm_correct",
                             "base_correct"])


def _flat(comparison: dict[str, Any]) -> dict[str, Any]:
    """One level: nested {"ci95": [lo, hi]}-style values become ci_lo / ci_hi columns."""
    out: dict[str, Any] = {}
    for key, value in comparison.items():
        if isinstance(value, (list, tuple)) and len(value) == 2 and "ci" in key:
            out[f"{key}_lo"], out[f"{key}_hi"] = value
        elif not isinstance(value, (dict, list)):
            out[key] = value
    return out


@dataclass(frozen=True)
class LawsResults:
    """An `iitbench laws` directory: laws_summary.json (curves, shift, settings) and laws.npz (per-sample masses)."""

    out_dir: Path
    summary: dict[str, Any]

    @classmethod
    def load(cls, out_dir: str | Path) -> LawsResults:
        from iitbench.laws.store import read_summary

        return cls(Path(out_dir), read_summary(Path(out_dir)))

    @property
    def shift(self) -> dict[str, Any]:
        """The attention-shift score: value, lo, hi (bootstrap 95%), n."""
        return self.summary["shift"]

    def to_pandas(self, level: str = "layers"):
        """`layers`: the mean curve (with its 95% band) per segment and layer; `samples`: one row per sample,
        layer and label with its attention mass (excluded samples keep their reason and no masses)."""
        if _levels(level, ("layers", "samples")) == "layers":
            rows = [{"segment": seg, "layer": layer, "mean": band["mean"][layer], "lo": band["lo"][layer],
                     "hi": band["hi"][layer]}
                    for seg, band in self.summary["curves"].items() for layer in range(len(band["mean"]))]
            return _frame(rows)
        import numpy as np

        from iitbench.laws.store import NPZ

        with np.load(self.out_dir / NPZ) as data:
            keys, excluded, masses, names = data["keys"], data["excluded"], data["masses"], data["label_names"]
            rows = []
            for i, key in enumerate(keys):
                if excluded[i]:
                    rows.append({"key": str(key), "excluded": str(excluded[i]), "label": None, "layer": None,
                                 "mass": None})
                    continue
                rows += [{"key": str(key), "excluded": None, "label": str(name), "layer": layer,
                          "mass": float(masses[i, k, layer])}
                         for k, name in enumerate(names) for layer in range(masses.shape[2])]
        return _frame(rows, ["key", "excluded", "label", "layer", "mass"])


@dataclass(frozen=True)
class ShiftComparison:
    """`iitbench laws --compare`: shifts of several models, and their correlation with text forgetting."""

    out_dir: Path
    report: dict[str, Any]

    @property
    def pearson(self) -> dict[str, Any] | None:
        """r(shift, text delta) with its bootstrap CI, when forgetting directories were given (>= 3 models)."""
        return (self.report.get("forgetting") or {}).get("pearson")

    def to_pandas(self, level: str = "models"):
        """`models`: one row per model: shift and CI, and the paired text delta when forgetting was given."""
        _levels(level, ("models",))
        deltas = (self.report.get("forgetting") or {}).get("deltas") or [None] * len(self.report["models"])
        return _frame([{"model": m["name"], "dir": m["dir"], "shift": m["shift"]["value"], "shift_lo": m["shift"]["lo"],
                        "shift_hi": m["shift"]["hi"], "text_delta": d} for m, d in zip(self.report["models"], deltas)])


@dataclass(frozen=True)
class ReportOutput:
    """`iitbench report`: the Markdown text (always) and the file written, if any (HTML or Markdown)."""

    markdown: str
    path: Path | None = None
    figures: tuple[Path, ...] = field(default_factory=tuple)


__all__ = ["ForgettingResults", "LawsResults", "ReportOutput", "RunResults", "ShiftComparison"]
