"""`forgetting`: an MLLM against its base LLM on the text suite, paired item by item (`iitbench forgetting`).

Both runs use the same dataset, prompt format and run settings and are ordinary, resumable run directories under
OUTPUT/mllm and OUTPUT/base; the models are loaded one after the other, so two large models never share memory.
Writes OUTPUT/forgetting.{json,md,png,svg}: per task both accuracies, the delta with a paired bootstrap 95% CI,
McNemar's exact p-value and the per-item agreement.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

from iitbench.api.models import ModelLike, resolve_model, spec_of
from iitbench.api.results import ForgettingResults, RunResults
from iitbench.api.suites import RUNS_ROOT, model_slug, resolve_suite
from iitbench.errors import UserError
from iitbench.runner.lock import locked
from iitbench.runner.outputs import check_output

# A text-only multi-turn dialogue both models render with their own chat templates, to check the prompts are the same.
PROBE_CHAT = ({"role": "user", "content": "Which number is larger, 3 or 5?"}, {"role": "assistant", "content": "5"},
              {"role": "user", "content": "And 7 or 2?"})


def _template_check(runs: dict[str, dict[str, Any]], probes: dict[str, str | None], prompt_hash: str) -> dict:
    hashes = {role: runs[role]["model"].get("chat_template_hash") for role in runs}
    rendered = None if None in probes.values() else probes["mllm"] == probes["base"]
    return {"prompt_hash": prompt_hash, "mllm_chat_template_hash": hashes["mllm"],
            "base_chat_template_hash": hashes["base"],
            # Adapters hash their templates differently; the rendered probe dialogue is what counts.
            "rendered_probe_match": rendered,
            "chat_templates_match": hashes["mllm"] == hashes["base"] if rendered is None else rendered}


def forgetting(mllm: ModelLike, base: ModelLike, *, mllm_args: str | dict[str, Any] | None = None,
               base_args: str | dict[str, Any] | None = None, suite: str | Path = "text",
               candidates: str | None = None, batch_size: int = 8, limit: int | None = None, seed: int = 0,
               n_boot: int = 2000, device: str | None = None, output: str | Path | None = None,
               progress: bool = True) -> ForgettingResults:
    """Text forgetting of `mllm` relative to `base` (names/specs with their args, or adapter instances).

    One answer format is used for both, so both models get the same prompts: `candidates`, else the one the dataset
    was built for (text-real: cloze), else what the MLLM was trained for. Image items are not applicable to a text-only base and are left out of the pairing (counted).
    """
    from iitbench.data.manifest import load_dataset_dir
    from iitbench.runner import RunSettings

    RunSettings(batch_size=batch_size, limit=limit, seed=seed)  # checks the settings before anything loads
    if n_boot < 100:
        raise UserError(f"--n-boot {n_boot}: must be at least 100")
    if isinstance(suite, str) and suite in ("iit", "mm", "all"):
        raise UserError(f"--suite {suite}: forgetting compares text skills; use text, text-real or a dataset directory")
    path, _ = resolve_suite(suite, seed)
    out = Path(output) if output is not None else \
        RUNS_ROOT / "forgetting" / f"{model_slug(spec_of(mllm))}-vs-{model_slug(spec_of(base))}"
    check_output(out, "forgetting")
    for role in ("mllm", "base"):
        check_output(out / role, "run")
    if isinstance(mllm, str) and isinstance(base, str):  # parse both before the first (slow) load: typos fail now
        from iitbench.api.models import model_args_of

        model_args_of(mllm, mllm_args, device)
        model_args_of(base, base_args, device)
    dataset = load_dataset_dir(path)
    with locked(out):
        return _paired_runs(mllm, base, mllm_args, base_args, dataset, path, out, candidates, batch_size, limit, seed,
                            n_boot, device, progress)


def _paired_runs(mllm, base, mllm_args, base_args, dataset, path: Path, out: Path, candidates, batch_size, limit,
                 seed, n_boot, device, progress) -> ForgettingResults:
    from iitbench.metrics.forgetting import paired_forgetting
    from iitbench.models.protocol import Adapter
    from iitbench.report.forgetting import forgetting_markdown, forgetting_plot
    from iitbench.report.markdown import run_table
    from iitbench.runner import PromptFormat, RunSettings, run_dataset
    from iitbench.runner.samplelog import read_records

    runs: dict[str, RunResults] = {}
    probes: dict[str, str | None] = {}
    settings = None
    for role, model, args in (("mllm", mllm, mllm_args), ("base", base, base_args)):
        resolved = resolve_model(model, args, device)
        if settings is None:  # the MLLM's answer format, for both models: identical prompts
            chosen = candidates or dataset.card.build.get("candidates") or resolved.adapter.capabilities.candidates
            settings = RunSettings(batch_size=batch_size, limit=limit, seed=seed,
                                   prompt_format=PromptFormat.for_candidates(chosen))
        outcome = run_dataset(resolved.adapter, dataset, settings, out / role, model_spec=resolved.spec,
                              model_args=resolved.args, dataset_path=str(path), progress=progress)
        runs[role] = RunResults(outcome.run_dir, outcome.results, outcome.computed, outcome.resumed,
                                table=run_table(outcome.results))
        probes[role] = resolved.adapter.apply_chat_template(list(PROBE_CHAT))
        if not isinstance(model, Adapter):  # ours to free before the second model loads
            del resolved
            gc.collect()
    records = {role: read_records(out / role / "samples.jsonl") for role in runs}
    summary = {
        "models": {role: {"name": r.results["model"]["name"], "fingerprint": r.results["model"]["fingerprint"],
                          "run_dir": str(out / role)} for role, r in runs.items()},
        "data": runs["mllm"].results["data"],
        "template": _template_check({k: r.results for k, r in runs.items()}, probes, settings.prompt_format.hash),
        "comparison": paired_forgetting(records["mllm"], records["base"], n_boot=n_boot, seed=seed),
    }
    if summary["comparison"]["overall"]["n"] == 0:
        raise UserError(f"forgetting: no item of {path} was scored by both models (image-only items are not "
                        f"applicable to a text-only base); use the text suite or a dataset with text items")
    (out / "forgetting.json").write_text(json.dumps(summary, indent=2) + "\n")
    markdown = forgetting_markdown(summary)
    (out / "forgetting.md").write_text(markdown)
    forgetting_plot(summary, out / "forgetting")
    return ForgettingResults(out, summary, runs["mllm"], runs["base"], markdown)


__all__ = ["PROBE_CHAT", "forgetting"]
