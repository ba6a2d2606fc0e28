"""`diagnose` (`iitbench diagnose --model MLLM --base LLM`): rival predictors of text forgetting, for an MLLM
against its base LLM.

Four predictors, each exact and memory-bounded (one model in memory at a time, one chunk of items at a time):
output-distribution shift at the answer position (KL, JS), hidden-state drift per layer (linear CKA), weight drift
per layer (relative Frobenius change) and text-image representation mixing per layer (IIT dialogues). A pair that
cannot give one of them (different vocabularies, layer counts or architectures, a text-only MLLM) gets one line
saying which and why; the others still run. Writes OUTPUT/diagnose.json (schema in `iitbench.diagnose.assemble`),
one <predictor>.json per predictor (the unit of resume), CSVs, diagnose.npz and diagnose.png. Definitions:
`iitbench.diagnose` and its modules.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from iitbench.api.models import ModelLike, model_args_of, spec_of
from iitbench.api.suites import RUNS_ROOT, model_slug, resolve_suite
from iitbench.diagnose.options import MIXING, DiagnoseOptions
from iitbench.diagnose.results import DiagnoseResults
from iitbench.errors import UserError
from iitbench.runner.lock import locked
from iitbench.runner.outputs import check_output


def _model_request(model: ModelLike, args: str | dict[str, Any] | None, device: str | None) -> dict[str, Any]:
    """The model's part of the run identity: its spec and parsed arguments (checked now: typos fail before a load);
    the device is left out (it changes float rounding only)."""
    if isinstance(model, str):
        parsed = {k: v for k, v in model_args_of(model, args, device).items() if k != "device"}
    else:
        parsed = {k: v for k, v in dict(getattr(model, "init_args", {}) or {}).items() if k != "device"}
    return {"name": spec_of(model), "args": {k: str(v) for k, v in sorted(parsed.items())}}


def _data(path: Path) -> tuple[Any, dict[str, str]]:
    from iitbench.data.manifest import load_dataset_dir

    dataset = load_dataset_dir(path)
    return dataset, {"name": dataset.card.name, "fingerprint": dataset.fingerprint}


def diagnose(mllm: ModelLike, base: ModelLike, *, mllm_args: str | dict[str, Any] | None = None,
             base_args: str | dict[str, Any] | None = None, suite: str | Path = "text", iit_suite: str | Path = "iit",
             predictors: str | Sequence[str] | None = None, candidates: str | None = None, limit: int | None = None,
             iit_limit: int | None = 100, batch_size: int = 8, seed: int = 0, n_boot: int = 2000,
             device: str | None = None, output: str | Path | None = None, keep_work: bool = False,
             progress: bool = True) -> DiagnoseResults:
    """Rival predictors of text forgetting for `mllm` against `base` (names/specs with their args, or adapters).

    suite: the text items (text, text-real or a dataset directory; image items are left out, counted); iit_suite:
    the image dialogues for mixing (first `iit_limit`, round-robin over image configs); predictors: a subset of
    output_shift, cka, weight_drift, mixing (default all); candidates: the answer format of the prompts (default as
    `forgetting`: the dataset's, else the MLLM's). Rerunning with the same output resumes.
    """
    from iitbench.diagnose.assemble import write_outputs
    from iitbench.diagnose.pipeline import Diagnose, Inputs

    options = DiagnoseOptions(predictors=DiagnoseOptions.parse_predictors(predictors), candidates=candidates,
                              limit=limit, iit_limit=iit_limit, batch_size=batch_size, seed=seed, n_boot=n_boot,
                              keep_work=keep_work, progress=progress)
    if candidates is not None:
        from iitbench.runner.render import PromptFormat

        PromptFormat.for_candidates(candidates)
    if isinstance(suite, str) and suite in ("iit", "mm", "all"):
        raise UserError(f"--suite {suite}: diagnose compares the models on text; use text, text-real or a dataset "
                        f"directory (image dialogues for mixing come from --iit-suite)")
    out = Path(output) if output is not None else \
        RUNS_ROOT / "diagnose" / f"{model_slug(spec_of(mllm))}-vs-{model_slug(spec_of(base))}"
    check_output(out, "diagnose")
    request: dict[str, Any] = {"mllm": _model_request(mllm, mllm_args, device),
                               "base": _model_request(base, base_args, device), "limit": limit,
                               "iit_limit": iit_limit, "candidates": candidates, "seed": seed, "n_boot": n_boot}
    text_path = resolve_suite(suite, seed)[0]
    text, request["text"] = _data(text_path)
    iit = None
    paths = {"text": str(text_path)}
    if MIXING in options.predictors:
        iit_path = resolve_suite(iit_suite, seed)[0]
        iit, request["iit"] = _data(iit_path)
        paths["iit"] = str(iit_path)
    request["paths"] = paths
    start = time.perf_counter()
    with locked(out):
        runner = Diagnose(Inputs(mllm, base, mllm_args, base_args, device, text, iit, out), options, request)
        before = set(runner.pending())  # what this call computes
        results = runner.run()
        summary = write_outputs(out, results, request, options.predictors)
    return DiagnoseResults(out_dir=out, summary=summary, computed=tuple(p for p in options.predictors if p in before),
                           seconds=time.perf_counter() - start)


__all__ = ["DiagnoseResults", "diagnose"]
