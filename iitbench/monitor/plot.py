"""monitor.png: text accuracy delta vs the starting model (with its paired bootstrap 95% band) and the LAWS shift
(with its band) against the training step, one panel each; the warning threshold and the warned steps marked."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from iitbench.monitor.records import MonitorRecord


def plot_monitor(records: Sequence[MonitorRecord], path: Path, max_text_drop: float | None = None) -> Path:
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")  # no display during training (and no GUI backend state)
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    text = [r for r in records if r.text_delta is not None]
    if text:
        steps = [r.step for r in text]
        top.plot(steps, [100 * r.text_delta for r in text], "o-", color="#1f77b4", label="text accuracy delta")
        band = [r for r in text if r.text_delta_ci95 is not None]
        top.fill_between([r.step for r in band], [100 * r.text_delta_ci95[0] for r in band],
                         [100 * r.text_delta_ci95[1] for r in band], color="#1f77b4", alpha=0.2,
                         label="paired bootstrap 95% CI")
        warned = [r for r in text if r.warning]
        if warned:
            top.plot([r.step for r in warned], [100 * r.text_delta for r in warned], "x", color="#d62728",
                     markersize=10, mew=2, label="warning")
    top.axhline(0, color="grey", lw=0.8)
    if max_text_drop is not None:
        top.axhline(-100 * max_text_drop, color="#d62728", ls="--", lw=1, label=f"warning line: -max_text_drop ({-100 * max_text_drop:+g} points)")
    top.set_ylabel("text acc. now - start (points)")
    n = text[-1].text_n if text else 0
    top.set_title(f"Forgetting monitor: text probe (n={n}) and LAWS shift")
    top.legend(fontsize=8, loc="best")
    shifts = [r for r in records if r.shift is not None]
    if shifts:
        bottom.plot([r.step for r in shifts], [r.shift for r in shifts], "o-", color="#2ca02c", label="LAWS shift")
        band = [r for r in shifts if r.shift_ci95 is not None]
        bottom.fill_between([r.step for r in band], [r.shift_ci95[0] for r in band], [r.shift_ci95[1] for r in band],
                            color="#2ca02c", alpha=0.2, label="bootstrap 95% CI")
        bottom.legend(fontsize=8, loc="best")
    else:
        bottom.text(0.5, 0.5, "no LAWS shift (n_mm = 0, or no usable image dialogue)", ha="center",
                    transform=bottom.transAxes, color="grey")
    bottom.set_ylabel("attention shift (1 - r)")
    bottom.set_xlabel("training step")
    bottom.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))  # steps are whole numbers
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


__all__ = ["plot_monitor"]
