"""Markdown tables of runs: rows = configs, columns = runs, cells = accuracy ± half the Wilson 95% interval."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from iitbench.report.runs import RunView


def fmt_acc(acc: dict[str, Any] | None) -> str:
    """'62.5 ± 4.1' in percent (± half the 95% CI width); '—' when nothing applicable was scored."""
    if not acc or acc.get("acc") is None:
        return "—" if not acc or not acc.get("n_na") else "n/a"
    ci = acc.get("ci95")
    half = f" ± {50 * (ci[1] - ci[0]):.1f}" if ci else ""
    return f"{100 * acc['acc']:.1f}{half}"


def run_table(results: dict[str, Any]) -> str:
    """One run: config, acc, ±CI, n (what `iitbench run` prints)."""
    metrics = results.get("metrics", {})
    rows = ["| config | acc | ±CI | n |", "|---|---:|---:|---:|"]
    groups = list(metrics.get("per_config", {}).items()) + [("overall", metrics.get("overall"))]
    for name, acc in groups:
        if not acc:
            continue
        if acc.get("acc") is None:
            rows.append(f"| {name} | {'n/a' if acc.get('n_na') else '—'} |  | {acc['n']} |")
            continue
        ci = acc.get("ci95")
        half = f"{50 * (ci[1] - ci[0]):.1f}" if ci else ""
        na = f" (+{acc['n_na']} n/a)" if acc.get("n_na") else ""
        rows.append(f"| {name} | {100 * acc['acc']:.1f} | {half} | {acc['n']}{na} |")
    return "\n".join(rows) + "\n"


def _provenance_line(i: int, run: RunView) -> str:
    r = run.results
    model, data, settings, prov = (r.get(k, {}) or {} for k in ("model", "data", "settings", "provenance"))
    bits = [f"model `{model.get('name', '?')}` ({str(model.get('fingerprint') or '?')[:12]})",
            f"data `{data.get('name', '?')}` ({str(data.get('fingerprint') or '?')[:12]}, {data.get('n_items', '?')} items)",
            f"mode {settings.get('mode', '?')}"]
    if settings.get("free_running_source"):
        bits.append(f"source {settings['free_running_source']}")
    if prov.get("iitbench"):
        bits.append(f"iitbench {prov['iitbench']}" + (f" @ {prov['git'][:10]}" if prov.get("git") else ""))
    if prov.get("finished"):
        bits.append(f"finished {prov['finished']}")
    if run.partial:
        bits.append("**partial: recomputed from samples.jsonl of an unfinished run**")
    return f"- [{i}] `{run.path}`: " + ", ".join(bits)


def compare_table(runs: Sequence[RunView], title: str = "IIT accuracy (%)") -> str:
    """Several runs side by side; configs missing from a run show '—'."""
    configs = sorted({c for run in runs for c in run.metrics.get("per_config", {})})
    head = "| config | " + " | ".join(f"[{i}] {run.label}" for i, run in enumerate(runs, 1)) + " |"
    lines = [f"# {title}", "", head, "|---|" + "---:|" * len(runs)]
    for cfg in configs:
        cells = [fmt_acc(run.metrics.get("per_config", {}).get(cfg)) for run in runs]
        lines.append(f"| {cfg} | " + " | ".join(cells) + " |")
    lines.append("| **overall** | " + " | ".join(fmt_acc(run.metrics.get("overall")) for run in runs) + " |")
    positions = sorted({p for run in runs for p in run.metrics.get("per_position", {})})
    if positions:
        lines += ["", "By position of the scored turn relative to the images:", "",
                  "| position | " + " | ".join(f"[{i}]" for i in range(1, len(runs) + 1)) + " |",
                  "|---|" + "---:|" * len(runs)]
        for pos in positions:
            lines.append(f"| {pos} | " + " | ".join(fmt_acc(run.metrics.get("per_position", {}).get(pos))
                                                   for run in runs) + " |")
    lines += ["", "Runs:", ""] + [_provenance_line(i, run) for i, run in enumerate(runs, 1)]
    return "\n".join(lines) + "\n"
