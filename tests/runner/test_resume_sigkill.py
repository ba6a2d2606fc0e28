"""Kill -9 a real `iitbench run` mid-way, rerun it, and get the same bytes as an uninterrupted run."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from iitbench.data.manifest import load_dataset_dir
from iitbench.runner import RunSettings, run_dataset
from tests.runner.adapters import ContextAdapter

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = "tests.runner.run_with_test_adapters"  # run as a module from ROOT


def _cmd(ds: Path, out: Path, mode: str) -> list[str]:
    return [sys.executable, "-m", SCRIPT, "run", "--model", "context", "--model-args", "delay=0.004",
            "--suite", str(ds), "--mode", mode, "--batch-size", "1", "--output", str(out), "--no-progress"]


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


@pytest.mark.parametrize("mode", ["teacher-forced", "free-running"])
def test_rerun_after_sigkill_gives_the_bytes_of_an_uninterrupted_run(big_ds, tmp_path, mode):
    run = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(_cmd(big_ds, run, mode), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            cwd=ROOT)
    samples = run / "samples.jsonl"
    deadline = time.monotonic() + 60
    while _lines(samples) < 60 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read().decode()[-500:]}"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = _lines(samples)
    assert 60 <= partial < (300 if mode == "teacher-forced" else 600)
    assert not (run / "results.json").exists()

    done = subprocess.run(_cmd(big_ds, run, mode), capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-800:]
    assert "resumed" in done.stdout

    ref = run_dataset(ContextAdapter(), load_dataset_dir(big_ds), RunSettings(mode=mode, batch_size=7),
                      tmp_path / "ref", model_spec="context", model_args={}, progress=False)
    assert samples.read_bytes() == (ref.run_dir / "samples.jsonl").read_bytes()
    assert json.loads((run / "results.json").read_text())["metrics"] == ref.results["metrics"]
