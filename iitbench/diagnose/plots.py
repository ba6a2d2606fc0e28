"""diagnose.png: the per-layer predictors (CKA drift, weight drift, mixing with its band) and the per-item output
shift (KL and JS histograms), one panel each; a predictor that was not computed leaves its panel with the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from iitbench.diagnose.files import write_png


def _note(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=8, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_diagnose(summary: dict[str, Any], arrays: dict[str, np.ndarray], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    status = summary["predictors"]
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.08, top=0.9, hspace=0.35, wspace=0.2)  # tight_layout: slow
    layers = np.arange(summary["layers"]["n_layers"])
    panels = (("cka", "cka_drift", "hidden-state drift 1 - CKA"), ("weight_drift", "weight_drift",
                                                                   "weight drift ||dW|| / ||W||"),
              ("mixing", "mixing", "text-image mixing cos(img, text)"))
    for ax, (predictor, key, title) in zip(axes.flat, panels):
        ax.set_title(title, fontsize=10)
        if status[predictor]["status"] != "ok":
            _note(ax, f"{status[predictor]['status']}: {status[predictor]['reason'] or ''}")
            continue
        ax.plot(layers, arrays[key], marker="o")
        if predictor == "mixing":
            ax.fill_between(layers, arrays["mixing_lo"], arrays["mixing_hi"], alpha=0.25)
        ax.set_xlabel("decoder layer")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax = axes.flat[3]
    ax.set_title("output shift at the answer position (per item, nats)", fontsize=10)
    if status["output_shift"]["status"] != "ok":
        _note(ax, f"{status['output_shift']['status']}: {status['output_shift']['reason'] or ''}")
    else:
        top = max(float(np.nanmax(arrays["kl"])) if arrays["kl"].size else 0.0, float(np.log(2)))
        bins = np.linspace(0.0, top, 30)
        ax.hist(arrays["kl"], bins=bins, alpha=0.6, label="KL(base || MLLM)")
        ax.hist(arrays["js"], bins=bins, alpha=0.6, label="JS")
        ax.legend(fontsize=8)
    m = summary["models"]
    fig.suptitle(f"{m.get('mllm', {}).get('name', '?')} vs {m.get('base', {}).get('name', '?')}", fontsize=11)
    write_png(path, fig)
    plt.close(fig)


__all__ = ["plot_diagnose"]
