"""Markdown for runs: one run's accuracy table (what `iitbench run` prints) and accuracy cells ± half the Wilson 95%
interval (used by the report's tables)."""

from __future__ import annotations

from typing import Any


def fmt_acc(acc: dict[str, Any] | None) -> str:
    """'62.5 ± 4.1' in percent (± half the 95% CI width); '—' when nothing applicable was scored."""
    if not acc or acc.get("acc") is None:
        return "—" if not acc or not acc.get("n_na") else "n/a"
    ci = acc.get("ci95")
    half = f" ± {50 * (ci[1] - ci[0]):.1f}" if ci else ""
    return f"{100 * acc['acc']:.1f}{half}"


def run_table(results: dict[str, Any]) -> str:
    """One run: config, acc, ±CI, n (what `iitbench run` prints); a cloze run: one row per benchmark."""
    metrics = results.get("metrics", {})
    if (results.get("settings", {}).get("prompt_format") or {}).get("candidates") == "cloze":
        from iitbench.report.benchmark_table import benchmark_table

        return benchmark_table(metrics)
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
    bench = metrics.get("benchmark")
    if isinstance(bench, dict) and (metrics.get("overall") or {}).get("n"):
        rows.append("\n" + benchmark_line(bench, str(results.get("data", {}).get("name", "")).endswith("-synth")))
    return "\n".join(rows) + "\n"


def benchmark_line(bench: dict[str, Any], synthetic: bool) -> str:
    """The benchmark's own headline metrics in one line (iitbench.mmsuite.metrics)."""
    from iitbench.mmsuite.metrics import HEADLINE

    bounds = {"perception": " / 2000", "cognition": " / 800"}
    parts = [f"{k} {bench[k]:.1f}{bounds.get(k, '')}" for k in HEADLINE.get(str(bench.get("name")), ())
             if bench.get(k) is not None]
    return f"{bench.get('name')}: {', '.join(parts)}" + (" (synthetic twin: not comparable with published numbers)"
                                                         if synthetic else "")
