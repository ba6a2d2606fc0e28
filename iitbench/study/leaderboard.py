"""Writing a study's leaderboard directory (see `iitbench.study.tables` for the files and their columns)."""

from __future__ import annotations

import os
from pathlib import Path

from iitbench.study import benchmarks, validity
from iitbench.study.claims import claims, reproduction_markdown
from iitbench.study.tables import collect, corr_table, correlations, laws_table, markdown, models_table, to_csv

DEFAULT_VARIANT = "content-include-sum"


def _write(path: Path, text: str) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _variants(rows) -> list[str]:
    found = sorted({v for r in rows for v in r.laws})
    return ([DEFAULT_VARIANT] if DEFAULT_VARIANT in found else []) + [v for v in found if v != DEFAULT_VARIANT]


def _plot(rows, variant: str, path: Path) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = [(r.shift(variant), 100 * r.delta, r.name, r.info.get("method")) for r in rows
              if r.shift(variant) is not None and r.delta is not None]
    if not points:
        return None
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for method, colour in (("naive", "#c0392b"), ("wings", "#2e86c1"), (None, "#7f8c8d")):
        sel = [p for p in points if p[3] == method or (method is None and p[3] not in ("naive", "wings"))]
        if sel:
            ax.scatter([p[0] for p in sel], [p[1] for p in sel], color=colour, label=method or "other", s=18)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel(f"attention shift ({variant})")
    ax.set_ylabel("text Δ vs base (points)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120, metadata={"Software": None})
    plt.close(fig)
    return path


def write_leaderboard(study_dir: str | Path, out: str | Path, command: str) -> list[Path]:
    """All tables of one study output into `out`; returns the files written."""
    rows = collect(Path(study_dir))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    variants = _variants(rows)
    corrs = [correlations(rows, v) for v in variants]
    found = validity.validity(rows, variants)
    outcome = validity.outcome_reliability(rows)
    written = []
    for stem, title, (head, body), note in (
            ("models", "Models: text forgetting, IIT and multimodal accuracy", models_table(rows),
             "Text Δ = model − its base LLM on the text suite, paired per item (bootstrap 95% CI, McNemar exact p). "
             "Context effect = IIT accuracy with the context turns − without them, on the same scored questions."),
            ("laws", "MLLM-LAWS attention shift per analysis choice", laws_table(rows, variants),
             "Variant = segments-sinks-heads: content text or all text; sinks included or excluded; heads summed or "
             "averaged (a constant factor, so the shift cannot change; likewise per-query normalisation)."),
            ("correlations", "Shift vs text forgetting across models", corr_table(corrs),
             "The first analysis, kept for comparison: bootstrap 95% CIs over models, as if seeds of one recipe "
             "were independent. Partial r: shift and text Δ each regressed on log10 of the LLM's learning rate "
             "first (models with a frozen LLM left out). Superseded by predictors.md (CIs resample recipes; trained "
             "models and recipe means; seed reliability)."),
            ("predictors", "Predictors of text forgetting: the validity study", validity.table(found),
             _predictor_note(outcome))):
        written.append(_write(out / f"{stem}.md", markdown(title, command, head, body, note)))
        if stem != "predictors":
            written.append(_write(out / f"{stem}.csv", to_csv(head, body)))
    written.append(_write(out / "predictors.csv", to_csv(*validity.csv_table(found))))
    if benchmarks.has_benchmarks(rows):
        head, body = benchmarks.benchmark_table(rows)
        base_head, base_body = benchmarks.base_row(rows)
        note = ("Text Δ = model − its base LLM, paired per item, per benchmark of the text suite and per MMLU "
                "category (points; 95% CI: subject-clustered where MMLU items are in the group, else item "
                "bootstrap). The base's accuracy on the same items: "
                + ", ".join(f"{h} {v}" for h, v in zip(base_head[1:], base_body[1:])) + ".")
        written.append(_write(out / "benchmarks.md", markdown("Text forgetting per benchmark", command, head,
                                                              body, note)))
        written.append(_write(out / "benchmarks.csv", to_csv(head, body)))
    intro = (f"{len(rows)} models from `{Path(study_dir).as_posix()}`; roles from each model's `meta` "
             "(group, variant); rows sharing a recipe hash count once. Each row says its population: the rows "
             "(seeds) or recipes a statistic is computed on, and what its CI resamples.")
    written.append(_write(out / "REPRODUCTION.md", reproduction_markdown(claims(rows, variants), command, intro)))
    plot = _plot(rows, variants[0], out / "shift_vs_forgetting.png") if variants else None
    forest = validity.plot(found, out / "predictors.png")
    pareto = benchmarks.pareto_plot(rows, out / "pareto.png")
    return written + [p for p in (plot, forest, pareto) if p]


def _predictor_note(outcome) -> str:
    return ("Each predictor against text Δ (model − its base LLM, paired on the text suite), per family of models "
            "(a shared base LLM) and population: all models; trained LLM (models whose LLM stayed frozen left out: "
            "their text cannot change); recipe means (trained models averaged over seeds, one point per recipe). 95% CIs "
            "resample recipes (seeds of one recipe are not independent); leave-one-out range: the smallest and "
            "largest r with one point left out; partial r: both regressed on log10 of the LLM learning rate first. "
            "Seed reliability = 1 − (variance between seeds of one recipe) / (variance over the population's "
            "models), from the recipes with two seeds or more (df in brackets); r corrected = r / √reliability, "
            "the r of a seed-averaged predictor (above 1 in size when the few-df reliability is underestimated). "
            "Text Δ's own seed reliability over trained models: "
            + ("–" if outcome is None else f"{outcome.value:.2f} ({outcome.df} df)")
            + "; seed noise caps the |r| one can expect to observe at √(reliability of the predictor × that). "
            "Claimed sign: the sign the paper (LAWS), the zoo finding (learning rate) or the predictor's meaning "
            "(more drift, more forgetting) predicts. Predictors ranked by |r| over trained models; log10 LLM LR is a "
            "recipe setting, the reference a measured predictor has to beat.")


__all__ = ["DEFAULT_VARIANT", "write_leaderboard"]
