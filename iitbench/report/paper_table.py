"""The paper-style table: text forgetting and the multimodal benchmarks' own scores, one row per model.

Rows are models (by their --model spec); columns the paired text delta of its `iitbench forgetting` directory and the
headline metric of each benchmark run (`metrics.benchmark`: MME perception / cognition, ScienceQA-IMG accuracy,
HallusionBench aAcc / fAcc / qAcc, MMBench-EN / CN accuracy). A score from a benchmark's synthetic twin is starred.
"""

from __future__ import annotations

from typing import Any

from iitbench.report.doc import Para, Section, Table
from iitbench.report.inputs import ReportInputs

COLUMNS = (("mme", "perception", "MME perception"), ("mme", "cognition", "MME cognition"),
           ("scienceqa-img", "accuracy", "ScienceQA-IMG"), ("hallusionbench", "aAcc", "HallusionBench aAcc"),
           ("hallusionbench", "fAcc", "fAcc"), ("hallusionbench", "qAcc", "qAcc"),
           ("mmbench-en", "accuracy", "MMBench-EN"), ("mmbench-cn", "accuracy", "MMBench-CN"))


def _cell(value: Any, synthetic: bool) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}" + ("*" if synthetic else "")


def paper_section(inputs: ReportInputs) -> Section | None:
    scores: dict[str, dict[tuple[str, str], str]] = {}
    for run in inputs.runs:
        bench = run.metrics.get("benchmark")
        if not isinstance(bench, dict):
            continue
        model = str(run.results.get("model", {}).get("name", "?"))
        synthetic = str(run.results.get("data", {}).get("name", "")).endswith("-synth")
        for name, key, _ in COLUMNS:
            if bench.get("name") == name:
                scores.setdefault(model, {})[(name, key)] = _cell(bench.get(key), synthetic)
    deltas = {}
    for view in inputs.forgetting:
        overall = view.summary["comparison"]["overall"]
        lo, hi = overall.get("delta_ci95") or (None, None)
        deltas[view.summary["models"]["mllm"]["name"]] = (
            "—" if overall.get("delta") is None else
            f"{100 * overall['delta']:+.1f}" + ("" if lo is None else f" [{100 * lo:+.1f}, {100 * hi:+.1f}]"))
    if not scores:
        return None
    head = ("model", "text Δ vs base (pts)") + tuple(label for _, _, label in COLUMNS)
    rows = tuple((model, deltas.get(model, "—")) + tuple(scores[model].get((n, k), "—") for n, k, _ in COLUMNS)
                 for model in sorted(scores))
    return Section("Text forgetting and the multimodal benchmarks", "paper-table", (
        Para("As the paper reports them: MME scores are sums of per-category acc + acc+ (perception <= 2000, "
             "cognition <= 800); the others are % accuracy (HallusionBench: per question / figure / question group). "
             "* = the benchmark's synthetic twin (the real data was not available), not comparable with published "
             "numbers."),
        Table(head, rows)))


__all__ = ["paper_section"]
