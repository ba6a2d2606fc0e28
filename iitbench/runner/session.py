"""One run of one dataset through one model: claim the run directory, resume, score, write the final files.

`--limit` is not part of a run's identity: rerunning with a larger limit resumes and adds items. The final
samples.jsonl (and the metrics) hold exactly the items of the current selection; records of items outside it
(a smaller limit than before) are dropped when the file is rewritten.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iitbench.data.manifest import Dataset
from iitbench.data.types import Item
from iitbench.errors import UserError
from iitbench.metrics import compute_metrics
from iitbench.models.protocol import Adapter
from iitbench.runner.distributed import barrier, init_world, load_all, my_items, remove_shards, sum_over_ranks
from iitbench.runner.engine import Engine, RunSettings
from iitbench.runner.identity import RunIdentity, claim_run_dir
from iitbench.runner.lock import locked
from iitbench.runner.outputs import check_output
from iitbench.runner.results import RESULTS_FILE, build_results, data_info, settings_info, utc_now, write_results
from iitbench.runner.samplelog import SampleLog


@dataclass(frozen=True)
class RunOutcome:
    """What a finished run produced."""

    run_dir: Path
    results: dict[str, Any]
    computed: int  # (item, turn) records computed by this invocation
    resumed: int  # records taken from an earlier, interrupted invocation


def select_items(items: Sequence[Item], limit: int | None) -> list[Item]:
    """The first `limit` items of every config, in dataset order (all items when limit is None)."""
    if limit is None:
        return list(items)
    seen: dict[str, int] = {}
    out = []
    for it in items:
        if seen.get(it.config, 0) < limit:
            seen[it.config] = seen.get(it.config, 0) + 1
            out.append(it)
    return out


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    # Seed numpy / torch only if an adapter loaded them: importing them just to seed costs time for light adapters.
    np = sys.modules.get("numpy")
    if np is not None:
        np.random.seed(seed % 2**32)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)


def _check_capabilities(adapter: Adapter, s: RunSettings, spec: str) -> None:
    if s.mode == "free-running" and s.free_running_source == "generate" and not adapter.capabilities.generate:
        raise UserError(f"--free-running-source generate: model {spec!r} cannot generate; use score")


def run_dataset(adapter: Adapter, dataset: Dataset, settings: RunSettings, run_dir: Path, *, model_spec: str,
                model_args: dict[str, Any], dataset_path: str | None = None, progress: bool = True) -> RunOutcome:
    """Score `dataset` with `adapter` into `run_dir` (resuming what is there) and write results.json.

    Rank 0 holds the directory's lock for the whole run (`lock.locked`): a second run on the same directory exits 2
    at once, naming the holder; the ranks of one data-parallel run share it."""
    _check_capabilities(adapter, settings, model_spec)
    check_output(run_dir, "run")
    with locked(run_dir) if init_world().is_main else nullcontext():
        return _run_locked(adapter, dataset, settings, Path(run_dir), model_spec=model_spec, model_args=model_args,
                           dataset_path=dataset_path, progress=progress)


def _run_locked(adapter: Adapter, dataset: Dataset, settings: RunSettings, run_dir: Path, *, model_spec: str,
                model_args: dict[str, Any], dataset_path: str | None, progress: bool) -> RunOutcome:
    started, t0 = utc_now(), time.perf_counter()
    _seed_everything(settings.seed)
    items = select_items(dataset.items, settings.limit)
    free = settings.mode == "free-running"
    identity = RunIdentity(model=model_spec, model_args=dict(model_args), model_fingerprint=adapter.fingerprint(),
                           dataset_fingerprint=dataset.fingerprint, mode=settings.mode,
                           prompt_hash=settings.prompt_format.hash,
                           free_running_source=settings.free_running_source if free else None, seed=settings.seed)
    run_dir = Path(run_dir)
    world = init_world()  # torchrun: this process's rank; else rank 0 of 1
    if world.is_main:  # rank 0 creates the directory; the others then check they join the same run
        claim_run_dir(run_dir, identity, dataset.card.name)
    barrier(world)
    if not world.is_main:
        claim_run_dir(run_dir, identity, dataset.card.name)

    wanted = [(it, k) for it in items for k in (range(len(it.turns)) if free else (it.scored_turn,))]
    mine = my_items(items, world)
    with SampleLog(run_dir, world.shard_name()) as log:
        # Records of earlier runs of any process count: the canonical file and every shard log.
        done = {**load_all(run_dir, own=log.path), **log.load()}
        resumed = sum((it.id, k) in done for it, k in wanted)
        barrier(world)  # every rank has read the earlier records before any appends new ones
        bar = _progress(len(wanted), resumed, progress and world.is_main)
        engine = Engine(adapter, dataset.root, settings, log, done, on_progress=bar.update)
        try:
            if mine:
                engine.run(mine)
        finally:
            bar.close()
        log.close()
        barrier(world)  # every shard log is complete
        computed = sum_over_ranks(world, engine.computed)
        if world.is_main:
            done.update(load_all(run_dir))
            # Canonical order (dataset order, then turn) makes resumed and uninterrupted runs byte-identical.
            ordered = [done[(it.id, k)] for it, k in wanted]
            log.finalize(ordered)
            remove_shards(run_dir)

    if world.is_main:
        wall = time.perf_counter() - t0
        results = build_results(adapter=adapter, model_spec=model_spec, model_args=model_args,
                                data=data_info(dataset, dataset_path, len(items)), settings=settings_info(settings),
                                metrics=_metrics(ordered, dataset), started=started, wall_s=wall, computed=computed,
                                chat_template=not settings.prompt_format.is_cloze)  # cloze prompts are raw text
        write_results(run_dir, results)
    barrier(world)  # results.json is written
    if not world.is_main:
        results = json.loads((run_dir / RESULTS_FILE).read_text(encoding="utf-8"))
    return RunOutcome(run_dir=run_dir, results=results, computed=computed, resumed=resumed)


def _metrics(records, dataset: Dataset) -> dict[str, Any]:
    """The generic metrics, plus the benchmark's own (`metrics.benchmark`) when the dataset is one of the paper's
    multimodal suites (its card names it)."""
    metrics = compute_metrics(records)
    name = dataset.card.build.get("benchmark") if isinstance(dataset.card.build, dict) else None
    if name:
        from iitbench.mmsuite.metrics import benchmark_metrics

        metrics["benchmark"] = benchmark_metrics(name, records, {it.id: dict(it.turns[it.scored_turn].meta)
                                                                 for it in dataset.items})
    return metrics


def _progress(total: int, initial: int, enabled: bool):
    from tqdm.auto import tqdm

    # disable=None: silent when stderr is not a terminal (CI logs, tests).
    return tqdm(total=total, initial=initial, unit="turn", desc="scoring", disable=None if enabled else True,
                dynamic_ncols=True)
