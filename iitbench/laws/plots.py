"""LAWS figures (matplotlib, Agg): the three curves of one model (paper Fig. 2b), several models overlaid with
their shift scores, and shift against text forgetting across models (Fig. 2c). Each is written as PNG and SVG."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from iitbench.laws.protocol import CURVE_SEGMENTS

COLOURS = {"before": "#1f77b4", "image": "#d62728", "after": "#2ca02c"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "iitbench-laws"  # stable SVG element ids: same bytes each run
    import matplotlib.pyplot as plt

    return plt


def _save(fig, stem: Path) -> list[Path]:
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    fig.savefig(paths[0], dpi=120, bbox_inches="tight")
    fig.savefig(paths[1], bbox_inches="tight", metadata={"Date": None})  # no timestamp: same bytes each run
    _pyplot().close(fig)
    return paths


def _ylabel(summary: dict[str, Any]) -> str:
    s = summary.get("settings", {})
    norm = " / query tokens" if s.get("per_query_norm") else ""
    queries = {"all": "", "after-image": ", queries after the image", "answer": ", answer query"}
    return f"attention mass ({s.get('head_reduction', 'sum')} over heads{norm}{queries[s.get('queries', 'all')]})"


def _queries_note(summary: dict[str, Any]) -> str:
    """The title's second line: which definition (summaries written before `--queries` are the paper's)."""
    q = summary.get("settings", {}).get("queries", "all")
    return "queries: all (the paper's definition)" if q == "all" else f"queries: {q} (not the paper's definition)"


def plot_curves(summary: dict[str, Any], stem: Path, title: str | None = None) -> list[Path]:
    """V_before / V_image / V_after mean curves across layers with bootstrap 95% bands."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    layers = list(range(1, summary["n_layers"] + 1))
    for seg in CURVE_SEGMENTS:
        c = summary["curves"][seg]
        ax.plot(layers, c["mean"], marker="o", ms=3, color=COLOURS[seg], label=f"V_{seg}")
        ax.fill_between(layers, c["lo"], c["hi"], color=COLOURS[seg], alpha=0.2, lw=0)
    sh = summary["shift"]
    heading = f"{summary['model']['name']}  shift {sh['value']:.3f} [{sh['lo']:.3f}, {sh['hi']:.3f}]"
    ref = summary.get("reference")
    if ref:  # the base LLM without the image: dashed, no image curve
        ref_layers = list(range(1, ref["n_layers"] + 1))
        for seg in ("before", "after"):
            ax.plot(ref_layers, ref["curves"][seg]["mean"], ls="--", color=COLOURS[seg],
                    label=f"V_{seg}, {ref['model']['name']} (no image)")
        heading += f"; {ref['model']['name']} (no image) {ref['shift']['value']:.3f}"
    ax.set_title(title or f"{heading}\n{_queries_note(summary)}", fontsize=9)
    ax.set_xlabel("layer")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel(_ylabel(summary), fontsize=8)
    ax.legend(fontsize=8)
    return _save(fig, stem)


def plot_compare(summaries: Sequence[dict[str, Any]], names: Sequence[str], stem: Path) -> list[Path]:
    """One panel per segment with every model's mean curve (x = relative depth), plus shift per model with CI."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.4))
    for seg, ax in zip(CURVE_SEGMENTS, axes):
        for name, s in zip(names, summaries):
            n = s["n_layers"]
            depth = [i / max(1, n - 1) for i in range(n)]
            ax.plot(depth, s["curves"][seg]["mean"], marker="o", ms=2, label=name)
        ax.set_title(f"V_{seg}", fontsize=9)
        ax.set_xlabel("relative depth")
    axes[0].set_ylabel(_ylabel(summaries[0]), fontsize=8)
    axes[0].legend(fontsize=7)
    ax = axes[3]
    values = [s["shift"]["value"] for s in summaries]
    errs = [[v - s["shift"]["lo"] for v, s in zip(values, summaries)],
            [s["shift"]["hi"] - v for v, s in zip(values, summaries)]]
    ax.bar(range(len(names)), values, yerr=errs, capsize=3, color="#7f7f7f")
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=7)
    ax.set_title("attention shift (95% CI)", fontsize=9)
    return _save(fig, stem)


def plot_shift_vs_forgetting(shifts: Sequence[float], deltas: Sequence[float], names: Sequence[str],
                             corr: dict[str, Any] | None, stem: Path) -> list[Path]:
    """Shift (x) against the text-only accuracy delta MLLM - base (y), one point per model."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.scatter(shifts, deltas)
    for x, y, n in zip(shifts, deltas, names):
        ax.annotate(n, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.axhline(0.0, color="#999999", lw=0.8)
    ax.set_xlabel("attention shift")
    ax.set_ylabel("text accuracy delta (MLLM - base)")
    if corr is not None:
        ax.set_title(f"Pearson r = {corr['value']:.3f} [{corr['lo']:.3f}, {corr['hi']:.3f}] (n={corr['n']})",
                     fontsize=9)
    return _save(fig, stem)
