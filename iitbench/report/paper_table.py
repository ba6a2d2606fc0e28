"""The paper-style table: text forgetting and the multimodal benchmarks' own scores, one row per model.

Rows are models (by their --model spec); columns the paired text delta of its `iitbench forgetting` directory and the
headline metric of each benchmark run (`metrics.benchmark`: MME perception / cognition, ScienceQA-IMG accuracy,
HallusionBench aAcc / fAcc / qAcc, MMBench-EN / CN accuracy). A score from a benchmark's synthetic twin is starred.
Below it, every two models that ran the same benchmark directory are compared: the difference of each headline
metric with a paired cluster-bootstrap 95% CI (`iitbench.mmsuite.compare`).
"""

from __future__ import annotations

from typing import Any

from iitbench.errors import UserError
from iitbench.report.doc import Para, Section, Table
from iitbench.report.inputs import ReportInputs
from iitbench.run_files import RunView

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
        answered = bool((run.metrics.get("overall") or {}).get("n"))  # a text-only model answers no image item
        for name, key, _ in COLUMNS:
            if bench.get("name") == name:
                scores.setdefault(model, {})[(name, key)] = _cell(bench.get(key), synthetic) if answered else "n/a"
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
             "numbers; n/a = the model cannot take images."),
        Table(head, rows), *_paired(inputs.runs)))


def _paired(runs: tuple[RunView, ...]) -> tuple[Para | Table, ...]:
    """Paired differences between models on the same benchmark data (runs without any answered item skipped)."""
    from itertools import combinations

    from iitbench.mmsuite.compare import compare_runs

    groups: dict[tuple[str, str], list[RunView]] = {}
    for run in runs:
        bench = run.metrics.get("benchmark")
        if isinstance(bench, dict) and (run.metrics.get("overall") or {}).get("n"):
            groups.setdefault((str(bench.get("name")), str(run.results.get("data", {}).get("fingerprint"))),
                              []).append(run)
    rows, notes = [], []
    for (name, _), members in sorted(groups.items()):
        members.sort(key=lambda r: str(r.results.get("model", {}).get("name")))
        for a, b in combinations(members, 2):
            try:
                cmp = compare_runs(a.path, b.path)
            except UserError as e:
                notes.append(str(e))
                continue
            for metric, v in cmp["metrics"].items():
                ci = v["ci95"]
                rows.append((name, metric, f"{cmp['models']['a']} − {cmp['models']['b']}",
                             "—" if v["delta"] is None else f"{v['delta']:+.1f}",
                             "—" if ci is None else f"[{ci[0]:+.1f}, {ci[1]:+.1f}]", cmp["bootstrap"]["unit"]))
    if not rows:
        return ()
    return (Table(("benchmark", "metric", "models", "Δ", "95% CI (paired bootstrap)", "resampled unit"),
                  tuple(rows)), *(Para(n) for n in notes))


__all__ = ["paper_section"]
