"""The provenance section: for every input, what ran on what with which settings and software (fields as rows,
inputs as columns). Values are copied from the input files in full; only what they record is shown."""

from __future__ import annotations

import json
from typing import Any

from iitbench.report.doc import Para, Section, Table
from iitbench.report.inputs import ForgettingView, LawsView, ReportInputs
from iitbench.run_files import RunView


def _v(x: Any) -> str:
    if x is None or x == "" or x == {}:
        return "—"
    if isinstance(x, (dict, list, bool)):  # JSON spelling, as in the input files
        return json.dumps(x, sort_keys=True, separators=(", ", ": "))
    return str(x)


def _get(d: dict[str, Any] | None, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def _table(fields: list[tuple[str, list[Any]]], labels: list[str]) -> Table:
    # Rows where no input records anything are dropped: they would only be dashes.
    rows = tuple((name,) + tuple(_v(x) for x in values) for name, values in fields
                 if any(_v(x) != "—" for x in values))
    return Table(("field",) + tuple(labels), rows, numeric=False, wrap=True)


def _runs_table(runs: tuple[RunView, ...]) -> Table:
    R = [r.results for r in runs]
    f = [("directory", [str(r.path) for r in runs]),
         ("partial (recomputed from samples)", ["yes" if r.partial else "no" for r in runs])]
    for name, keys in [("model", ("model", "name")), ("model args", ("model", "args")),
                       ("model fingerprint", ("model", "fingerprint")), ("parameters", ("model", "parameters")),
                       ("dtype", ("model", "dtype")), ("device", ("model", "device")),
                       ("chat template hash", ("model", "chat_template_hash")), ("dataset", ("data", "name")),
                       ("dataset version", ("data", "version")), ("dataset path", ("data", "path")),
                       ("dataset fingerprint", ("data", "fingerprint")), ("items", ("data", "n_items")),
                       ("mode", ("settings", "mode")), ("free-running source", ("settings", "free_running_source")),
                       ("seed", ("settings", "seed")), ("batch size", ("settings", "batch_size")),
                       ("limit", ("settings", "limit")), ("prompt hash", ("settings", "prompt_hash")),
                       ("iitbench", ("provenance", "iitbench")), ("git", ("provenance", "git")),
                       ("torch", ("provenance", "torch")), ("transformers", ("provenance", "transformers")),
                       ("python", ("provenance", "python")), ("platform", ("provenance", "platform")),
                       ("started (UTC)", ("provenance", "started")), ("finished (UTC)", ("provenance", "finished"))]:
        f.append((name, [_get(r, *keys) for r in R]))
    return _table(f, [f"[{i}]" for i in range(1, len(runs) + 1)])


def _forgetting_table(views: tuple[ForgettingView, ...]) -> Table:
    S = [v.summary for v in views]
    f = [("directory", [str(v.path) for v in views])]
    for name, keys in [("MLLM", ("models", "mllm", "name")), ("MLLM fingerprint", ("models", "mllm", "fingerprint")),
                       ("base", ("models", "base", "name")), ("base fingerprint", ("models", "base", "fingerprint")),
                       ("dataset", ("data", "name")), ("dataset fingerprint", ("data", "fingerprint")),
                       ("items", ("data", "n_items")), ("prompt hash", ("template", "prompt_hash")),
                       ("MLLM chat template hash", ("template", "mllm_chat_template_hash")),
                       ("base chat template hash", ("template", "base_chat_template_hash")),
                       ("bootstrap", ("comparison", "bootstrap"))]:
        f.append((name, [_get(s, *keys) for s in S]))
    # Software versions come from the paired MLLM run's results.json, when it is beside forgetting.json.
    for name, key in [("iitbench", "iitbench"), ("git", "git"), ("torch", "torch"), ("transformers", "transformers"),
                      ("python", "python"), ("finished (UTC)", "finished")]:
        f.append((name, [_get(v.runs.get("mllm"), "provenance", key) for v in views]))
    return _table(f, [f"[F{i}]" for i in range(1, len(views) + 1)])


def _laws_table(views: tuple[LawsView, ...]) -> Table:
    S = [v.summary for v in views]
    f = [("directory", [str(v.path) for v in views])]
    for name, keys in [("model", ("model", "name")), ("model args", ("model", "args")),
                       ("model fingerprint", ("model", "fingerprint")), ("dataset", ("data", "name")),
                       ("dataset path", ("data", "path")), ("dataset fingerprint", ("data", "fingerprint")),
                       ("samples", ("n_samples",)), ("prompt hash", ("settings", "prompt_hash"))]:
        f.append((name, [_get(s, *keys) for s in S]))
    settings = sorted({k for s in S for k in (s.get("settings") or {}) if k != "prompt_hash"})
    f += [(k.replace("_", " "), [_get(s, "settings", k) for s in S]) for k in settings]
    versions = sorted({k for s in S for k in (s.get("versions") or {})})
    f += [(k, [_get(s, "versions", k) for s in S]) for k in versions]
    return _table(f, [f"[L{i}]" for i in range(1, len(views) + 1)])


def provenance_section(inputs: ReportInputs) -> Section:
    blocks: list = [Para("Everything below is copied from the input files; the report itself adds no timestamps.")]
    if inputs.runs:
        blocks += [Para("IIT runs:"), _runs_table(inputs.runs)]
    if inputs.forgetting:
        blocks += [Para("Text forgetting:"), _forgetting_table(inputs.forgetting)]
    if inputs.laws:
        blocks += [Para("LAWS:"), _laws_table(inputs.laws)]
    return Section("Provenance", "provenance", tuple(blocks))
