"""One writer per run directory: a second run exits 2 naming the holder; a killed holder blocks nothing; two runs
started together leave one complete, unmixed directory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from iitbench.cli.main import main
from iitbench.runner.lock import HOLDER_FILE, locked
from tests.runner.dataset_factory import make_dataset

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}


def _run_args(data: Path, out: Path, seed: int) -> list[str]:
    return ["run", "--model", "random", "--suite", str(data), "--output", str(out), "--seed", str(seed),
            "--no-progress", "--batch-size", "1"]


def test_a_second_writer_exits_2_naming_the_holder(tmp_path, capsys):
    data = make_dataset(tmp_path / "ds", per_config=1)
    out = tmp_path / "run"
    with locked(out):
        assert json.loads((out / HOLDER_FILE).read_text())["pid"] == os.getpid()
        assert main(_run_args(data, out, 0)) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"in use by pid {os.getpid()}" in err
    assert not (out / "run.json").exists()  # the refused run wrote nothing
    assert main(_run_args(data, out, 0)) == 0  # released: the next run goes ahead


def test_a_killed_holder_does_not_block_the_next_run(tmp_path):
    data = make_dataset(tmp_path / "ds", per_config=1)
    out = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from iitbench.runner.lock import locked\n"
                               f"with locked({str(out)!r}):\n    print('held', flush=True); time.sleep(60)"],
                              env=ENV, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (out / HOLDER_FILE).exists()  # it died holding the lock and left its note behind
    assert main(_run_args(data, out, 0)) == 0


def _race(data: Path, out: Path, seeds: tuple[int, int]) -> list[subprocess.CompletedProcess]:
    procs = [subprocess.Popen([sys.executable, "-m", "iitbench", *_run_args(data, out, s)], env=ENV,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for s in seeds]
    return [subprocess.CompletedProcess(p.args, p.wait(), *p.communicate()) for p in procs]


def _check_race(data: Path, out: Path, seeds: tuple[int, int], reference: dict[int, bytes]) -> int:
    """One race checked; returns how many of its two runs the lock refused."""
    done = _race(data, out, seeds)
    assert all("Traceback" not in p.stderr for p in done), [p.stderr for p in done]
    assert sorted(p.returncode for p in done) in ([0, 0], [0, 2]), [(p.returncode, p.stderr) for p in done]
    for p in done:
        if p.returncode == 2:
            assert p.stderr.strip().count("\n") == 0 and ("in use by" in p.stderr or "holds a run" in p.stderr)
    seed = json.loads((out / "run.json").read_text())["identity"]["seed"]
    results = json.loads((out / "results.json").read_text())
    assert results["settings"]["seed"] == seed and (out / "samples.jsonl").read_bytes() == reference[seed]
    assert not [f for f in out.iterdir() if f.name.endswith(".tmp")]
    return sum("in use by" in p.stderr for p in done)


def test_fifty_races_give_no_traceback_and_no_mixed_directory(tmp_path):
    data = make_dataset(tmp_path / "ds", per_config=40)  # long enough runs that the two really overlap
    reference = {}
    for seed in (1, 2):
        assert main(_run_args(data, tmp_path / f"ref{seed}", seed)) == 0
        reference[seed] = (tmp_path / f"ref{seed}" / "samples.jsonl").read_bytes()
    started = time.perf_counter()
    refused = sum(_check_race(data, tmp_path / f"race{trial}", (1, 1 + trial % 2), reference) for trial in range(50))
    print(f"50 races in {time.perf_counter() - started:.0f} s; the lock refused {refused} runs")
    assert refused >= 10  # the races did overlap
