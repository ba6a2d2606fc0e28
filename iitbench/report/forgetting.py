"""The forgetting report: a Markdown table and a bar plot of the per-task deltas with their paired CIs."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}"


def _p(p: float | None) -> str:
    return "—" if p is None else (f"{p:.2g}" if p >= 1e-4 else "<1e-4")


def forgetting_markdown(summary: dict[str, Any]) -> str:
    """Per task: base acc, MLLM acc, delta with its paired bootstrap 95% CI, McNemar p, agreement, n."""
    from iitbench.report.markdown_doc import md_escape  # names and tasks are data: never markup

    models = summary["models"]
    lines = [f"## Text forgetting: {md_escape(str(models['mllm']['name']))} vs "
             f"{md_escape(str(models['base']['name']))}", "",
             "Delta = MLLM − base, in points; CI = paired bootstrap 95% over items; p = McNemar exact.", "",
             "| task | base | MLLM | delta | 95% CI | p | agree | n |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    comp = summary["comparison"]
    rows = (list(comp["per_task"].items()) + [(f"{k} (category)", v) for k, v in comp.get("per_category", {}).items()]
            + [("**overall**", comp["overall"])])
    for task, c in rows:
        # MMLU's rows: the subject-clustered interval (marked *), the item-level one is too narrow there
        ci = c.get("delta_ci95_cluster") or c["delta_ci95"]
        star = "*" if c.get("delta_ci95_cluster") else ""
        ci_s = "—" if ci is None else f"[{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}]{star}"
        delta = "—" if c["delta"] is None else f"{100 * c['delta']:+.1f}"
        task = task if task == "**overall**" else md_escape(str(task))
        lines.append(f"| {task} | {_pct(c['acc_b'])} | {_pct(c['acc_a'])} | {delta} | {ci_s} | {_p(c['mcnemar_p'])} "
                     f"| {_pct(c['agreement'])} | {c['n']} |")
    t = summary["template"]
    if t["mllm_chat_template_hash"] is None and t["base_chat_template_hash"] is None:
        templates = "neither model applies a chat template"
    elif t["chat_templates_match"]:
        templates = "both models apply the same chat template"
    else:
        templates = (f"the chat templates differ (MLLM {str(t['mllm_chat_template_hash'])[:12]}, "
                     f"base {str(t['base_chat_template_hash'])[:12]}): part of the delta may be the template")
    if comp.get("per_category"):
        lines += ["", "\\* resampling whole MMLU subjects (cluster bootstrap); other rows resample items."]
    if comp.get("overall_norm", {}).get("delta") is not None:
        n = comp["overall_norm"]
        ci = n.get("delta_ci95_cluster") or n["delta_ci95"]
        lines += ["", f"acc_norm (length-normalised): overall delta {100 * n['delta']:+.1f} "
                      f"[{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}], p {_p(n['mcnemar_p'])}; per task in forgetting.json."]
    lines += ["", f"Prompt format hash {t['prompt_hash'][:12]}; {templates}."]
    return "\n".join(lines) + "\n"


def forgetting_plot(summary: dict[str, Any], out: Path) -> list[Path]:
    """Bar plot of per-task deltas (points) with CI error bars; PNG and SVG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per = summary["comparison"]["per_task"]
    tasks = [t for t, c in per.items() if c["delta"] is not None]
    deltas = [100 * per[t]["delta"] for t in tasks]
    lo = [100 * (per[t]["delta"] - per[t]["delta_ci95"][0]) for t in tasks]
    hi = [100 * (per[t]["delta_ci95"][1] - per[t]["delta"]) for t in tasks]
    fig, ax = plt.subplots(figsize=(max(4.0, 0.8 * len(tasks) + 1.5), 3.6))
    colours = ["#c0392b" if d < 0 else "#2e86c1" for d in deltas]
    ax.bar(range(len(tasks)), deltas, yerr=[lo, hi], color=colours, capsize=3)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(tasks)), [t.split(".")[-1] for t in tasks], rotation=30, ha="right")
    ax.set_ylabel("accuracy delta (points)")
    m = summary["models"]
    ax.set_title(f"{m['mllm']['name']} − {m['base']['name']} (paired 95% CI)", fontsize=10)
    fig.tight_layout()
    paths = [out.with_suffix(".png"), out.with_suffix(".svg")]
    for p in paths:
        fig.savefig(p, dpi=120, metadata={"Software": None} if p.suffix == ".png" else {"Date": None})
    plt.close(fig)
    return paths
