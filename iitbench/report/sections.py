"""The report's sections as document blocks: IIT accuracy, text forgetting, LAWS, shift vs forgetting, provenance.

Numbers are formatted here once, so the HTML page and its Markdown twin show identical cells.
"""

from __future__ import annotations

import math
from typing import Any

from iitbench.report.browser_data import browser_section
from iitbench.report.doc import Bullets, Code, Document, Para, Section, Strong, Table
from iitbench.report.figures import forgetting_figure, laws_figure, scatter_figure
from iitbench.report.inputs import ForgettingView, LawsView, ReportInputs
from iitbench.report.markdown import fmt_acc
from iitbench.report.paper_table import paper_section
from iitbench.report.provenance import provenance_section
from iitbench.run_files import RunView

MIN_MODELS_FOR_SCATTER = 3


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}"


def _p(p: float | None) -> str:
    return "—" if p is None else (f"{p:.2g}" if p >= 1e-4 else "<1e-4")


def _num(x: Any, digits: int = 3) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _ci(lo: Any, hi: Any, digits: int = 3) -> str:
    return "—" if lo is None or hi is None or math.isnan(lo) or math.isnan(hi) else \
        f"[{lo:.{digits}f}, {hi:.{digits}f}]"


def short_name(name: str, width: int = 24) -> str:
    """A plot label for a model spec: 'wings:/long/path/ckpt' -> 'wings:ckpt', cut to `width` characters (tables
    keep the full name; long labels would crowd the figure's axes and legend)."""
    kind, sep, rest = name.partition(":")
    if sep and "/" in rest:
        name = f"{kind}:{rest.rstrip('/').rsplit('/', 1)[-1]}"
    return name if len(name) <= width else name[: width - 1] + "…"


def _count(acc: dict[str, Any] | None) -> str:
    if not acc:
        return "—"
    return f"{acc.get('n', 0)}" + (f" (+{acc['n_na']} n/a)" if acc.get("n_na") else "")


def _run_legend(i: int, run: RunView) -> tuple:
    r = run.results
    model, data, settings = (r.get(k, {}) or {} for k in ("model", "data", "settings"))
    bits = f", data {data.get('name', '?')} ({data.get('n_items', '?')} items), mode {settings.get('mode', '?')}"
    if settings.get("free_running_source"):
        bits += f", source {settings['free_running_source']}"
    parts: tuple = (f"[{i}] ", Code(str(run.path)), f": model {model.get('name', '?')}{bits}")
    if run.partial:
        parts += (" — ", Strong("partial: recomputed from samples.jsonl of an unfinished run"))
    return parts


def iit_section(runs: tuple[RunView, ...]) -> Section:
    """Per-config accuracy (runs as columns), the counts behind it, and accuracy by position of the scored turn."""
    head = ("config",) + tuple(f"[{i}] {run.label}" for i, run in enumerate(runs, 1))
    configs = sorted({c for run in runs for c in run.metrics.get("per_config", {})})

    def rows(key: str, keys: list[str], cell) -> tuple:
        out = tuple((k,) + tuple(cell(run.metrics.get(key, {}).get(k)) for run in runs) for k in keys)
        return out + ((Strong("overall"),) + tuple(cell(run.metrics.get("overall")) for run in runs),)

    blocks: list = [
        Para("Accuracy (%) of the scored turn ± half its Wilson 95% interval; '—' = config absent from the run, "
             "'n/a' = the model could not take any item of it."),
        Table(head, rows("per_config", configs, fmt_acc)),
        Para("Scored turns per config (n) and turns the model could not take (n/a, excluded from n):"),
        Table(head, rows("per_config", configs, _count)),
    ]
    positions = sorted({p for run in runs for p in run.metrics.get("per_position", {})})
    if positions:
        blocks += [Para("By position of the scored turn relative to the images:"),
                   Table(("position",) + head[1:], tuple(
                       (p,) + tuple(fmt_acc(run.metrics.get("per_position", {}).get(p)) for run in runs)
                       for p in positions))]
    blocks += [Para("Runs:"), Bullets(tuple(_run_legend(i, run) for i, run in enumerate(runs, 1)))]
    return Section("IIT accuracy per configuration", "iit", tuple(blocks))


def _forgetting_blocks(view: ForgettingView, index: int) -> list:
    s = view.summary
    comp = s["comparison"]
    rows = []
    for task, c in list(comp["per_task"].items()) + [(Strong("overall"), comp["overall"])]:
        ci = c.get("delta_ci95")
        rows.append((task, _pct(c.get("acc_b")), _pct(c.get("acc_a")),
                     "—" if c.get("delta") is None else f"{100 * c['delta']:+.1f}",
                     "—" if not ci else f"[{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}]",
                     _p(c.get("mcnemar_p")), _pct(c.get("agreement")), str(c.get("n", "—"))))
    t = s["template"]
    if t.get("mllm_chat_template_hash") is None and t.get("base_chat_template_hash") is None:
        templates = "neither model applies a chat template."
    elif t.get("chat_templates_match"):
        templates = "both models apply the same chat template."
    else:
        templates = "the chat templates differ: part of the delta may be the template."
    blocks: list = [Para((f"[F{index}] ", Code(str(view.path)), f": {view.label}. Delta = MLLM − base in "
                          "points; CI = paired bootstrap 95% over items; p = McNemar exact; agree = items where both "
                          f"models gave the same answer. Chat templates: {templates}")),
                    Table(("task", "base", "MLLM", "delta", "95% CI", "p", "agree", "n"), tuple(rows))]
    unpaired = comp.get("n_unpaired") or {}
    if any(unpaired.values()):
        blocks.append(Para(f"Unpaired items left out: {unpaired.get('mllm_only', 0)} only in the MLLM run, "
                           f"{unpaired.get('base_only', 0)} only in the base run."))
    fig = forgetting_figure(s, index)
    if fig is not None:
        blocks.append(fig)
    return blocks


def forgetting_section(views: tuple[ForgettingView, ...]) -> Section:
    blocks: list = []
    for i, v in enumerate(views, 1):
        blocks += _forgetting_blocks(v, i)
    return Section("Text forgetting", "forgetting", tuple(blocks))


def laws_section(views: tuple[LawsView, ...]) -> Section:
    rows = []
    for i, v in enumerate(views, 1):
        s, sh = v.summary, v.summary["shift"]
        rows.append((f"[L{i}] {v.label}", _num(sh.get("value")), _ci(sh.get("lo"), sh.get("hi")),
                     str(sh.get("n", "—")), str(sh.get("n_undefined", 0)), str(s.get("n_used", "—")),
                     str((s.get("excluded") or {}).get("count", 0)), str(s["n_layers"])))
    excluded = [(f"[L{i}] {v.label}: ", "; ".join(f"{r} ({n})" for r, n in (v.summary.get("excluded") or {})
                                                  .get("reasons", {}).items()))
                for i, v in enumerate(views, 1) if (v.summary.get("excluded") or {}).get("reasons")]
    blocks: list = [
        Para("Attention shift = mean over samples of 1 − Pearson(LAWS_before, LAWS_after) across layers (0: the "
             "text after the image is attended like the text before it; up to 2: opposite profiles); CI = bootstrap "
             "95% over samples. Samples whose curve is flat have no shift (undefined)."),
        Table(("model", "shift", "95% CI", "n", "undefined", "samples used", "excluded", "layers"), tuple(rows)),
        laws_figure([v.summary for v in views], [short_name(v.label) for v in views]),
    ]
    if excluded:
        blocks += [Para("Exclusion reasons:"), Bullets(tuple(excluded))]
    blocks.append(Bullets(tuple((f"[L{i}] ", Code(str(v.path))) for i, v in enumerate(views, 1))))
    return Section("MLLM-LAWS attention curves and shift", "laws", tuple(blocks))


def _pairs(inputs: ReportInputs) -> list[tuple[LawsView, ForgettingView]]:
    """Each LAWS model with the forgetting result of the same MLLM: same fingerprint, else the same name."""
    out = []
    for lv in inputs.laws:
        model = lv.summary["model"]
        for fv in inputs.forgetting:
            mllm = fv.summary["models"]["mllm"]
            if (model.get("fingerprint") and model.get("fingerprint") == mllm.get("fingerprint")) or \
                    model.get("name") == mllm.get("name"):
                out.append((lv, fv))
                break
    return out


def scatter_section(inputs: ReportInputs) -> Section:
    from iitbench.laws.curves import correlation

    pairs = [(lv, fv) for lv, fv in _pairs(inputs)
             if fv.summary["comparison"]["overall"].get("delta") is not None and
             not math.isnan(lv.summary["shift"]["value"])]
    rows = []
    for lv, fv in pairs:
        sh, overall = lv.summary["shift"], fv.summary["comparison"]["overall"]
        dci = overall.get("delta_ci95") or (math.nan, math.nan)
        rows.append((lv.label, _num(sh["value"]), _ci(sh["lo"], sh["hi"]), f"{100 * overall['delta']:+.1f}",
                     _ci(100 * dci[0], 100 * dci[1], 1)))
    rows = tuple(rows)
    blocks: list = [Table(("model", "shift", "95% CI", "text delta (points)", "95% CI"), rows)] if rows else []
    if len(pairs) < MIN_MODELS_FOR_SCATTER:
        blocks.append(Para(f"The shift-vs-forgetting scatter needs at least {MIN_MODELS_FOR_SCATTER} models with both "
                           f"a LAWS and a forgetting directory (matched by model fingerprint or name); found "
                           f"{len(pairs)}."))
        return Section("Attention shift vs text forgetting", "shift-vs-forgetting", tuple(blocks))
    shifts = [lv.summary["shift"]["value"] for lv, _ in pairs]
    deltas = [fv.summary["comparison"]["overall"]["delta"] for _, fv in pairs]
    corr = correlation(shifts, deltas, n_boot=2000, seed=0).to_json()
    blocks += [Para(f"Pearson r = {_num(corr['value'])} {_ci(corr['lo'], corr['hi'])} (bootstrap 95% over models, "
                    f"n = {corr['n']}, seed 0)."),
               scatter_figure(shifts, deltas, [short_name(lv.label) for lv, _ in pairs], corr)]
    return Section("Attention shift vs text forgetting", "shift-vs-forgetting", tuple(blocks))


def build_document(inputs: ReportInputs) -> Document:
    """Every section the inputs support, in a fixed order."""
    sections = []
    if inputs.runs:
        sections.append(iit_section(inputs.runs))
    paper = paper_section(inputs)
    if paper is not None:
        sections.append(paper)
    if inputs.forgetting:
        sections.append(forgetting_section(inputs.forgetting))
    if inputs.laws:
        sections.append(laws_section(inputs.laws))
    if inputs.laws and inputs.forgetting:
        sections.append(scatter_section(inputs))
    if inputs.diagnose:
        from iitbench.report.diagnose import diagnose_section

        sections.append(diagnose_section(inputs.diagnose))
    sections.append(provenance_section(inputs))
    browser = browser_section(inputs)
    if browser is not None:  # last: long, and interactive in HTML only
        sections.append(browser)
    only_runs = not inputs.forgetting and not inputs.laws and not inputs.diagnose
    # A runs-only report keeps its historical title (it is the IIT accuracy table).
    return Document("IIT accuracy (%)" if only_runs else "iitbench report", tuple(sections))
