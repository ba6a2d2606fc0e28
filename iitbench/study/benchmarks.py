"""Per-benchmark forgetting and the text/visual trade-off of a study whose text suite has several benchmarks.

Written by `iitbench leaderboard` when the models' forgetting runs cover more than one task (text-real: MMLU, ARC,
HellaSwag, OpenBookQA, PIQA, SciQ): one column per benchmark and per MMLU category, each the paired text Δ of the
model against its base LLM. The CI of a group that holds MMLU items is the subject-clustered one (MMLU questions of
one subject are not independent; iitbench/metrics/clustered.py), else the item bootstrap's.

The Pareto plot puts every model at (visual accuracy, text Δ): a recipe or merge is on the frontier when no other
model has both a higher visual accuracy and a smaller text loss.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from iitbench.study.tables import ModelRow, ci, fmt

LABELS = {"arc_challenge": "ARC-C", "arc_easy": "ARC-E", "hellaswag": "HellaSwag", "mmlu": "MMLU",
          "openbookqa": "OBQA", "piqa": "PIQA", "sciq": "SciQ"}


def _comparison(row: ModelRow) -> dict[str, Any]:
    return (row.forgetting or {}).get("comparison") or {}


def tasks(rows: Sequence[ModelRow]) -> tuple[list[str], list[str]]:
    """(tasks, MMLU-style categories) present in any model's forgetting comparison."""
    found = sorted({t for r in rows for t in _comparison(r).get("per_task", {})})
    categories = sorted({c for r in rows for c in _comparison(r).get("per_category", {})})
    return found, categories


def has_benchmarks(rows: Sequence[ModelRow]) -> bool:
    return len(tasks(rows)[0]) > 1


def _label(task: str) -> str:
    source, _, category = task.partition("/")
    return LABELS.get(source, source) + (f" {category}" if category else "")


def _cell(comparison: dict[str, Any] | None) -> str:
    if not comparison:
        return "–"
    interval = comparison.get("delta_ci95_cluster") or comparison.get("delta_ci95")
    return f"{fmt(comparison.get('delta'), signed=True)} {ci(interval)}"


def benchmark_table(rows: Sequence[ModelRow]) -> tuple[list[str], list[list[str]]]:
    found, categories = tasks(rows)
    head = (["model", "variant", "text Δ (pts) [95% CI]"] + [f"{_label(t)} Δ" for t in found]
            + [f"{_label(c)} Δ" for c in categories] + ["base acc (all)"])
    body = []
    for r in rows:
        c = _comparison(r)
        body.append([r.name, str(r.info.get("variant") or r.info.get("method") or "–"), _cell(c.get("overall"))]
                    + [_cell(c.get("per_task", {}).get(t)) for t in found]
                    + [_cell(c.get("per_category", {}).get(k)) for k in categories]
                    + [fmt((c.get("overall") or {}).get("acc_b"))])
    return head, body


def base_row(rows: Sequence[ModelRow]) -> tuple[list[str], list[str]]:
    """The base LLM's accuracy per benchmark (the same items for every model: one row)."""
    found, categories = tasks(rows)
    head = ["base LLM"] + [_label(t) for t in found] + [_label(c) for c in categories]
    for r in rows:
        c = _comparison(r)
        if c.get("per_task"):
            return head, [str(r.info.get("base") or "–")] + [
                fmt((c.get(key, {}).get(t) or {}).get("acc_b"))
                for key, names in (("per_task", found), ("per_category", categories)) for t in names]
    return head, []


def frontier(points: Sequence[tuple[float, float, str]]) -> list[str]:
    """Names of the points no other point beats on both axes (x: visual accuracy, y: text Δ; higher is better)."""
    return [n for x, y, n in points
            if not any((x2 >= x and y2 >= y) and (x2 > x or y2 > y) for x2, y2, _ in points)]


def pareto_plot(rows: Sequence[ModelRow], path: Path) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = [(100 * r.info["mm_acc"], 100 * _comparison(r)["overall"]["delta"], r.name) for r in rows
              if r.info.get("mm_acc") is not None and (_comparison(r).get("overall") or {}).get("delta") is not None]
    if len(points) < 2:
        return None
    best = set(frontier(points))
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for x, y, name in points:
        ax.scatter([x], [y], s=22, color="#2e86c1" if name in best else "#7f8c8d", zorder=3)
        ax.annotate(name, (x, y), fontsize=6.5, xytext=(3, 3), textcoords="offset points")
    line = sorted((x, y) for x, y, n in points if n in best)
    ax.plot([p[0] for p in line], [p[1] for p in line], color="#2e86c1", linewidth=0.8, zorder=2)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel("visual suite accuracy (%)")
    ax.set_ylabel("text Δ vs base LLM (points)")
    ax.set_title("Text kept vs vision learnt (blue: Pareto frontier)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120, metadata={"Software": None})
    plt.close(fig)
    return path


__all__ = ["base_row", "benchmark_table", "frontier", "has_benchmarks", "pareto_plot", "tasks"]
