"""`evaluate`: a model through one suite, resumably, into a run directory (what `iitbench run` does).

    from iitbench.api import evaluate
    run = evaluate("wings-tiny", "text", output="runs/wings-tiny-text")
    run.accuracy, run.to_pandas("configs")
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from iitbench.api.models import ModelLike, ResolvedModel, resolve_model, spec_of
from iitbench.api.results import RunResults
from iitbench.api.suites import is_lmeval, model_slug, parse_suites, resolve_suite, run_dir
from iitbench.errors import UserError
from iitbench.runner.outputs import check_output


def _run_one(resolved: ResolvedModel, suite: str | Path, out: Path | None, several: bool, *, mode: str,
             free_running_source: str, candidates: str | None, batch_size: int, limit: int | None, seed: int,
             progress: bool, include_path: str | None) -> tuple[str, RunResults]:
    from iitbench.report.markdown import run_table

    if isinstance(suite, str) and is_lmeval(suite):
        from iitbench.lmeval.suite import parse_tasks, run_lmeval_suite

        tasks = parse_tasks(suite)
        short = model_slug("lm-eval-" + "-".join(tasks))
        done = run_lmeval_suite(resolved.adapter, tasks, run_dir(out, resolved.spec, short, None, several),
                                model_spec=resolved.spec, model_args=resolved.args, include_path=include_path,
                                limit=limit, batch_size=batch_size, seed=seed)
        return short, RunResults(done.run_dir, done.results, lm_eval=done.lm_eval, table=done.table)

    from iitbench.data.manifest import load_dataset_dir
    from iitbench.runner import PromptFormat, RunSettings, run_dataset

    path, short = resolve_suite(suite, seed)
    dataset = load_dataset_dir(path)
    # --candidates wins; then the format the dataset was built for (text-real: cloze); then the model's own.
    chosen = candidates or dataset.card.build.get("candidates") or resolved.adapter.capabilities.candidates
    settings = RunSettings(mode=mode, free_running_source=free_running_source, batch_size=batch_size, limit=limit,
                           seed=seed, prompt_format=PromptFormat.for_candidates(chosen))
    outcome = run_dataset(resolved.adapter, dataset, settings, run_dir(out, resolved.spec, short, mode,
                                                                       several),
                          model_spec=resolved.spec, model_args=resolved.args, dataset_path=str(path),
                          progress=progress)
    return short, RunResults(outcome.run_dir, outcome.results, outcome.computed, outcome.resumed,
                             table=run_table(outcome.results))


def evaluate_suites(model: ModelLike, suites: str | Sequence[str | Path] = "iit", *,
                    model_args: str | dict[str, Any] | None = None, mode: str = "teacher-forced",
                    free_running_source: str = "score", candidates: str | None = None, batch_size: int = 8,
                    limit: int | None = None, seed: int = 0, device: str | None = None,
                    output: str | Path | None = None, progress: bool = True,
                    include_path: str | None = None) -> dict[str, RunResults]:
    """`model` through each suite (one load), keyed by the suite's short name. With several suites each run goes to
    OUTPUT/<suite>; without `output`, to iitbench-runs/<model>/<suite>-<mode>. See `evaluate` for the arguments."""
    from iitbench.runner import RunSettings
    from iitbench.runner.distributed import init_world, world_from_env

    RunSettings(mode=mode, free_running_source=free_running_source, batch_size=batch_size, limit=limit,
                seed=seed)  # checks every setting before anything loads
    names: list[str | Path] = []
    for given in [suites] if isinstance(suites, (str, Path)) else list(suites):
        for name in parse_suites(given) if isinstance(given, str) else [Path(given)]:
            if name not in names:
                names.append(name)
    lm_suites = [s for s in names if isinstance(s, str) and is_lmeval(s)]
    if lm_suites and world_from_env().distributed:
        raise UserError(f"--suite {lm_suites[0]}: lm-eval suites run in one process; launch without torchrun")
    out = Path(output) if output is not None else None
    for s in names:  # a bad suite or output fails before the (slow) model load
        if not (isinstance(s, str) and is_lmeval(s)):
            check_output(run_dir(out, spec_of(model), resolve_suite(s, seed)[1], mode, len(names) > 1), "run")
    init_world()  # torchrun: join the group (and pick this rank's GPU) before the model is loaded
    resolved = resolve_model(model, model_args, device)
    runs: dict[str, RunResults] = {}
    for s in names:
        short, result = _run_one(resolved, s, out, len(names) > 1, mode=mode,
                                 free_running_source=free_running_source, candidates=candidates,
                                 batch_size=batch_size, limit=limit, seed=seed, progress=progress,
                                 include_path=include_path)
        runs[short] = result
    return runs


def evaluate(model: ModelLike, suite: str | Path = "iit", *, model_args: str | dict[str, Any] | None = None,
             mode: str = "teacher-forced", free_running_source: str = "score", candidates: str | None = None,
             batch_size: int = 8, limit: int | None = None, seed: int = 0, device: str | None = None,
             output: str | Path | None = None, progress: bool = True,
             include_path: str | None = None) -> RunResults:
    """Score `model` on one suite and write the run directory; rerunning with the same `output` resumes.

    model: a name/spec ("wings-tiny", "hf-causal:DIR", ...) with `model_args` ("k=v,..." or a dict), or an
        adapter instance. suite: iit | text | mm | lm-eval:TASK,... | a dataset directory. mode: teacher-forced |
        free-running (free_running_source: score | generate). candidates: letter | text | cloze (default: the
        format the dataset was built for, e.g. cloze for text-real, else what the model was trained for). limit: first N items per config. device: cpu | cuda | auto, for adapters that take one.
    """
    if isinstance(suite, str) and suite.strip() == "all" or isinstance(suite, str) and "," in suite \
            and not is_lmeval(suite):
        raise UserError(f"suite {suite!r}: evaluate takes one suite; use evaluate_suites for several")
    runs = evaluate_suites(model, [suite], model_args=model_args, mode=mode, free_running_source=free_running_source,
                           candidates=candidates, batch_size=batch_size, limit=limit, seed=seed, device=device,
                           output=output, progress=progress, include_path=include_path)
    return next(iter(runs.values()))


__all__ = ["evaluate", "evaluate_suites"]
