"""Data-parallel runs under torchrun (2 CPU processes, gloo): same results as one process, resumable across process
counts (2 -> 1 and 1 -> 2), shard logs merged and removed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from iitbench.runner.distributed import World, load_all, my_items, shard_files, shard_name
from iitbench.runner.samplelog import dumps_record, read_records

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCRIPT = "tests.runner.run_with_test_adapters"  # run as a module from ROOT (python -m / torchrun -m)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_PORT")}
    env.update(OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT), TQDM_DISABLE="1")
    return env


def _run(nproc: int, ds: Path, out: Path, *extra: str, module: bool = False) -> subprocess.CompletedProcess:
    target = ["-m", "iitbench"] if module else ["-m", SCRIPT]
    if nproc == 1:
        cmd = [sys.executable, *target]
    else:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc_per_node", str(nproc),
               "--master_addr", "127.0.0.1", "--master_port", str(_free_port()), *target]
    cmd += ["run", "--suite", str(ds), "--output", str(out), "--no-progress", *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def _metrics(run: Path) -> dict:
    return json.loads((run / "results.json").read_text())["metrics"]


@pytest.fixture(scope="module")
def reference(small_ds, tmp_path_factory) -> Path:
    """One process, free-running (turns depend on the model's own earlier answers)."""
    out = tmp_path_factory.mktemp("dp") / "ref"
    _run(1, small_ds, out, "--model", "context", "--mode", "free-running", "--batch-size", "3")
    return out


def test_two_processes_give_the_samples_and_metrics_of_one(small_ds, reference, tmp_path):
    out = tmp_path / "two"
    done = _run(2, small_ds, out, "--model", "context", "--mode", "free-running", "--batch-size", "3")
    assert (out / "samples.jsonl").read_bytes() == (reference / "samples.jsonl").read_bytes()
    assert _metrics(out) == _metrics(reference)
    assert shard_files(out) == []  # merged into samples.jsonl, then removed
    assert done.stdout.count("results:") == 1  # rank 0 reports for all
    timings = json.loads((out / "results.json").read_text())["provenance"]["timings"]
    assert timings["computed"] == len(read_records(out / "samples.jsonl"))  # summed over ranks


def test_a_two_process_partial_run_resumes_with_one_process(small_ds, reference, tmp_path):
    out = tmp_path / "two-then-one"
    args = ("--model", "context", "--mode", "free-running", "--batch-size", "3")
    _run(2, small_ds, out, *args, "--limit", "3")
    done = _run(1, small_ds, out, *args)
    assert "resumed" in done.stdout
    assert (out / "samples.jsonl").read_bytes() == (reference / "samples.jsonl").read_bytes()
    assert _metrics(out) == _metrics(reference)


def test_a_one_process_partial_run_resumes_with_two_processes(small_ds, reference, tmp_path):
    out = tmp_path / "one-then-two"
    args = ("--model", "context", "--mode", "free-running", "--batch-size", "3")
    _run(1, small_ds, out, *args, "--limit", "5")
    _run(2, small_ds, out, *args)
    assert (out / "samples.jsonl").read_bytes() == (reference / "samples.jsonl").read_bytes()
    assert _metrics(out) == _metrics(reference)


def test_left_over_shard_logs_of_another_world_size_are_reused_and_removed(small_ds, reference, tmp_path):
    """Shard logs of an interrupted 3-process run (one with a torn last line) are resumed by 1 process."""
    out = tmp_path / "shards"
    out.mkdir()
    (out / "run.json").write_bytes((reference / "run.json").read_bytes())
    records = read_records(reference / "samples.jsonl")
    for rank in range(3):
        part = [r for k, r in enumerate(records) if k % 3 == rank][: len(records) // 6]
        text = "".join(dumps_record(r) for r in part) + ('{"id": "torn' if rank == 1 else "")
        (out / shard_name(rank, 3)).write_text(text)
    assert len(load_all(out)) == 3 * (len(records) // 6)
    done = _run(1, small_ds, out, "--model", "context", "--mode", "free-running", "--batch-size", "3")
    assert f"({3 * (len(records) // 6)} resumed)" in done.stdout
    assert (out / "samples.jsonl").read_bytes() == (reference / "samples.jsonl").read_bytes()
    assert shard_files(out) == []


def test_python_m_iitbench_runs_under_torchrun(small_ds, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    _run(1, small_ds, one, "--model", "random", "--limit", "4", module=True)
    _run(2, small_ds, two, "--model", "random", "--limit", "4", module=True)
    assert (two / "samples.jsonl").read_bytes() == (one / "samples.jsonl").read_bytes()
    assert _metrics(two) == _metrics(one)


def test_items_are_sharded_by_index_without_overlap():
    items = list(range(11))
    shards = [my_items(items, World(rank=r, size=3)) for r in range(3)]
    assert shards[0] == [0, 3, 6, 9] and shards[2] == [2, 5, 8]
    assert sorted(x for s in shards for x in s) == items
    assert World(rank=1, size=2).shard_name() == "samples.rank1-of-2.jsonl"
    assert World().shard_name() == "samples.jsonl"
