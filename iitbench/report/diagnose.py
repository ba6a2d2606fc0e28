"""The report's "Rival predictors" section: `iitbench diagnose` directories (diagnose.json), one row per pair.

Numbers are copied from diagnose.json (schema in `iitbench.diagnose.assemble`); a predictor the pair could not give
shows its reason. The figure overlays the per-layer predictors of every pair.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iitbench.errors import UserError
from iitbench.report.doc import Bullets, Code, Figure, Para, Section, Table

DIAGNOSE_FILE = "diagnose.json"
# (summary key, column title, digits)
_COLUMNS = (("kl_mean", "KL(base‖MLLM)", 4), ("js_mean", "JS", 4), ("cka_drift_mean", "1 − CKA", 4),
            ("weight_drift_mean", "weight drift", 4), ("mixing_mean", "mixing", 3),
            ("mixing_early_mean", "mixing, early layers", 3))


@dataclass(frozen=True)
class DiagnoseView:
    """One `iitbench diagnose` output directory."""

    path: Path
    summary: dict[str, Any]

    @property
    def label(self) -> str:
        m = self.summary["models"]
        return f"{(m.get('mllm') or {}).get('name', '?')} vs {(m.get('base') or {}).get('name', '?')}"


def load_diagnose(path: Path) -> DiagnoseView:
    file = path / DIAGNOSE_FILE
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise UserError(f"{file}: not readable ({type(e).__name__}); rerun `iitbench diagnose` to rewrite it") from None
    missing = [k for k in ("models", "summary", "predictors", "layers") if not isinstance(data, dict) or k not in data]
    if missing:
        raise UserError(f"{file}: not an iitbench diagnose file (no {', '.join(missing)}); rerun `iitbench diagnose`")
    return DiagnoseView(path=path, summary=data)


def _cell(entry: dict[str, Any] | None, digits: int) -> str:
    if not entry or entry.get("value") is None:
        return "—"
    ci = f" [{entry['lo']:.{digits}f}, {entry['hi']:.{digits}f}]" if entry.get("lo") is not None else ""
    return f"{entry['value']:.{digits}f}{ci}"


def _figure(views: tuple[DiagnoseView, ...]) -> Figure:
    from iitbench.report.figures import _capture

    def draw(stem: Path) -> None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
        for ax, (key, title) in zip(axes, (("cka_drift", "1 − CKA"), ("weight_drift", "weight drift"),
                                           ("mixing", "text–image mixing"))):
            for i, v in enumerate(views, 1):
                values = v.summary["layers"].get(key) or []
                if any(x is not None for x in values):
                    ax.plot(range(len(values)), [float("nan") if x is None else x for x in values], marker="o",
                            label=f"[D{i}]")
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("decoder layer")
        axes[0].legend(fontsize=8)
        fig.tight_layout()
        for suffix in (".svg", ".png"):
            fig.savefig(stem.with_suffix(suffix), metadata={"Date": None} if suffix == ".svg" else {"Software": None})
        plt.close(fig)

    return _capture("diagnose-layers", "Per-layer rival predictors of each diagnosed pair: hidden-state drift "
                    "(1 − linear CKA), weight drift and text–image mixing.", draw)


def diagnose_section(views: tuple[DiagnoseView, ...]) -> Section:
    rows = tuple((f"[D{i}] {v.label}",) + tuple(_cell(v.summary["summary"].get(k), d) for k, _, d in _COLUMNS)
                 for i, v in enumerate(views, 1))
    refusals = [(f"[D{i}] {p}: ", s["reason"]) for i, v in enumerate(views, 1)
                for p, s in v.summary["predictors"].items() if s.get("status") == "not computable"]
    blocks: list = [
        Para("Rival predictors of text forgetting (iitbench diagnose). Output shift = KL(P_base ‖ P_MLLM) and JS of "
             "the next-token distributions at the answer position, in nats; 1 − CKA = hidden-state drift averaged "
             "over layers (linear CKA of the answer-position states); weight drift = relative Frobenius change of "
             "the LLM's matrices, averaged over layers; mixing = cosine of the mean image and mean text states per "
             "dialogue (all layers / the first third). [CI] = bootstrap 95% over items."),
        Table(("pair",) + tuple(t for _, t, _ in _COLUMNS), rows),
    ]
    if refusals:
        blocks += [Para("Not computable for the pair:"), Bullets(tuple(refusals))]
    if any(v.summary["layers"].get("n_layers") for v in views):
        blocks.append(_figure(views))
    prov = tuple((f"[D{i}] ", Code(str(v.path)), f": MLLM fingerprint {_fp(v, 'mllm')}, base {_fp(v, 'base')}, "
                  f"text data {_data(v, 'text')}, IIT data {_data(v, 'iit')}")
                 for i, v in enumerate(views, 1))
    blocks.append(Bullets(prov))
    return Section("Rival predictors of text forgetting", "diagnose", tuple(blocks))


def _fp(view: DiagnoseView, role: str) -> str:
    return str((view.summary["models"].get(role) or {}).get("fingerprint") or "—")[:12]


def _data(view: DiagnoseView, kind: str) -> str:
    d = (view.summary.get("data") or {}).get(kind) or {}
    return f"{d.get('name', '—')} ({str(d.get('fingerprint') or '—')[:12]})"


__all__ = ["DIAGNOSE_FILE", "DiagnoseView", "diagnose_section", "load_diagnose"]
