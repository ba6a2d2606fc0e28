"""Dispatching a study's models to an existing job engine, never a home-made scheduler.

- `local` (default): in this process for one worker; `concurrent.futures.ProcessPoolExecutor` for several.
- `slurm`: `submitit.AutoExecutor` (one array job, a model per task), with the study's `slurm:` parameters.
- `submitit-local`: submitit's `LocalExecutor` (subprocesses through submitit itself; how the Slurm path is tested).

Every model's jobs skip what is already done, so rerunning a study resumes it whatever the executor.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from iitbench.study.config import ModelEntry, Study
from iitbench.study.jobs import check_available, run_model


def _submitit(study: Study):
    import submitit

    folder = study.output / "_submitit"
    if study.executor == "submitit-local":
        executor = submitit.LocalExecutor(folder=str(folder))
        executor.update_parameters(timeout_min=int(study.slurm.get("timeout_min", 60)))
        return executor
    executor = submitit.AutoExecutor(folder=str(folder), cluster="slurm")
    executor.update_parameters(name=f"iitbench-{study.name}", **study.slurm)
    return executor


def run_study(study: Study, log: Callable[[str], None] = print) -> dict[str, dict[str, str]]:
    """Run every model's jobs; returns {model: {job: "done" | "skipped"}} (a failed model raises)."""
    check_available(study)
    study.output.mkdir(parents=True, exist_ok=True)
    entries: list[ModelEntry] = list(study.models)
    results: dict[str, dict[str, str]] = {}
    if study.executor == "local" and study.workers == 1:
        for entry in entries:
            results[entry.name] = run_model(study, entry)
            log(f"{entry.name}: {results[entry.name]}")
        return results
    if study.executor == "local":
        with ProcessPoolExecutor(max_workers=study.workers) as pool:
            futures = {entry.name: pool.submit(run_model, study, entry) for entry in entries}
            for name, future in futures.items():
                results[name] = future.result()
                log(f"{name}: {results[name]}")
        return results
    executor = _submitit(study)
    jobs = executor.map_array(run_model, [study] * len(entries), entries)
    for entry, job in zip(entries, jobs):
        results[entry.name] = job.result()
        log(f"{entry.name}: {results[entry.name]} (job {job.job_id})")
    return results


__all__ = ["run_study"]
