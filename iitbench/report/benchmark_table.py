"""The per-benchmark table of a cloze run (`--suite text-real`): acc and acc_norm with 95% CIs, then MMLU's
categories. MMLU rows carry the subject-clustered interval (marked *), the others Wilson's."""

from __future__ import annotations

from typing import Any


def _ci(acc: dict[str, Any], norm: bool) -> str:
    key = "ci95_norm" if norm else "ci95"
    ci = acc.get(f"{key}_cluster") or acc.get(key)
    mark = "*" if acc.get(f"{key}_cluster") else ""
    return f"[{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]{mark}" if ci else ""


def _row(name: str, acc: dict[str, Any]) -> str:
    if acc.get("acc") is None:
        return f"| {name} | n/a |  |  |  | {acc.get('n', 0)} |"
    return (f"| {name} | {100 * acc['acc']:.1f} | {_ci(acc, False)} | {100 * acc['acc_norm']:.1f} | "
            f"{_ci(acc, True)} | {acc['n']} |")


def benchmark_table(metrics: dict[str, Any]) -> str:
    """Markdown: one row per benchmark (per_source), MMLU's categories (per_category), overall."""
    rows = ["| benchmark | acc | 95% CI | acc_norm | 95% CI | n |", "|---|---:|---:|---:|---:|---:|"]
    rows += [_row(name, acc) for name, acc in (metrics.get("per_source") or {}).items()]
    rows += [_row(f"{name} (category)", acc) for name, acc in (metrics.get("per_category") or {}).items()]
    if metrics.get("overall"):
        rows.append(_row("overall (pooled)", metrics["overall"]))
    note = ("\n\\* subject-clustered bootstrap CI (MMLU's questions are not independent within a subject); "
            "others: Wilson." if metrics.get("per_category") else "")
    return "\n".join(rows) + note + "\n"


__all__ = ["benchmark_table"]
