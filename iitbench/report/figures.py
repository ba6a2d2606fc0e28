"""Report figures: the existing forgetting and LAWS plots, rendered into a scratch directory and read back as
Figure blocks (SVG for the HTML page, PNG for the Markdown twin). Same inputs give the same bytes."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from iitbench.report.doc import Figure


def _capture(name: str, caption: str, draw: Callable[[Path], Any]) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    # Fixed SVG element ids and no dates: the report must not change between two renders of the same inputs.
    matplotlib.rcParams["svg.hashsalt"] = "iitbench-report"
    with tempfile.TemporaryDirectory(prefix="iitbench-report-") as tmp:
        stem = Path(tmp) / name
        draw(stem)
        svg = stem.with_suffix(".svg").read_text(encoding="utf-8")
        png = stem.with_suffix(".png").read_bytes()
    return Figure(name=name, caption=caption, svg=svg, png=png)


def forgetting_figure(summary: dict[str, Any], index: int) -> Figure | None:
    """Per-task delta bars with CIs; None when no task has a delta (nothing paired)."""
    from iitbench.report.forgetting import forgetting_plot

    per = summary["comparison"]["per_task"]
    if not any(c.get("delta") is not None and c.get("delta_ci95") for c in per.values()):
        return None
    m = summary["models"]
    return _capture(f"forgetting-{index}", f"Per-task accuracy delta {m['mllm']['name']} − {m['base']['name']} "
                    "(points) with paired bootstrap 95% CIs; red = the MLLM forgot.",
                    lambda stem: forgetting_plot(summary, stem))


def laws_figure(summaries: Sequence[dict[str, Any]], names: Sequence[str]) -> Figure:
    """One model: its three curves with bands; several: each curve overlaid across models plus shift bars."""
    from iitbench.laws.plots import plot_compare, plot_curves

    if len(summaries) == 1:
        sh = summaries[0]["shift"]
        return _capture("laws-curves", f"LAWS curves of {names[0]}: attention mass on the text before the image, "
                        "the image and the text after it, per layer (bootstrap 95% bands).",
                        lambda stem: plot_curves(summaries[0], stem, title=f"{names[0]}  shift {sh['value']:.3f} "
                                                 f"[{sh['lo']:.3f}, {sh['hi']:.3f}]"))
    return _capture("laws-curves", "LAWS curves overlaid across models (x = relative depth) and the attention shift "
                    "per model with its bootstrap 95% CI.", lambda stem: plot_compare(summaries, names, stem))


def scatter_figure(shifts: Sequence[float], deltas: Sequence[float], names: Sequence[str],
                   corr: dict[str, Any] | None) -> Figure:
    from iitbench.laws.plots import plot_shift_vs_forgetting

    return _capture("shift-vs-forgetting", "Attention shift against the overall text-accuracy delta (MLLM − base), "
                    "one point per model.",
                    lambda stem: plot_shift_vs_forgetting(shifts, deltas, names, corr, stem))
