"""Cost of the forgetting monitor (issue 15) on a tiny wings-train run: seconds per evaluation and its share of the
training time between two evaluations.

The run continues the shipped zoo model wings-tiny (4 layers, hidden 128, 36 image tokens; or --model DIR, any
WINGS checkpoint with a tokenizer) with its stage-2 recipe settings (batch 8, LLM 5e-5, learners/router 3e-4,
projector 1e-3) on LLaVA-style IIT-synth data, twice: without the monitor, then with it every --every steps at the
default probe sizes (64 text questions, 16 image dialogues). Reported: the median step time of the plain run, the
median time of one evaluation (text probe + LAWS, from monitor.jsonl; the baseline at train begin separately), the
evaluation as a % of the training time of one interval (every_steps x step time) for several intervals, the whole
run's wall-time overhead, and whether the final weights are bit-identical.

    .venv/bin/python benchmarks/monitor_overhead.py [--steps 40] [--every 10] [--n-text 64] [--n-mm 16]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import TrainerCallback

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere in the checkout
from iitbench.monitor.records import RECORDS_FILE, read_records  # noqa: E402
from iitbench.zoo import WEIGHTS_DIR  # noqa: E402
from iitbench.zoo.llava_data import JSON_FILE, LlavaDataSpec, write_llava_data  # noqa: E402
from wings_ref.train.config import TrainConfig  # noqa: E402
from wings_ref.train.trainer import build_run, train  # noqa: E402

INTERVALS = (10, 50, 100, 500)


class Clock(TrainerCallback):
    """Wall and CPU (process) time at every on_step_begin / on_step_end; CPU time is less inflated when other jobs
    share the cores. `build_run` lists one before the monitor, one is added after it: the gap between their
    on_step_end marks is the monitor's evaluation, measured inside the same run as the steps."""

    def __init__(self):
        self.begin: list[tuple[float, float]] = []
        self.end: list[tuple[float, float]] = []

    @staticmethod
    def now() -> tuple[float, float]:
        return time.perf_counter(), time.process_time()

    def on_step_begin(self, args, state, control, **kwargs):
        self.begin.append(self.now())

    def on_step_end(self, args, state, control, **kwargs):
        self.end.append(self.now())


class ClockAfter(Clock):
    """The same clock under another class name (the Trainer warns when one callback class is added twice)."""


def run(model: Path, data: Path, out: Path, steps: int, monitor: dict | None) -> dict:
    cfg = TrainConfig(model_path=str(model), data_path=str(data / JSON_FILE), image_root=str(data), output_dir=str(out),
                      stage=2, lr_projector=1e-3, lr_learners=3e-4, lr_llm=5e-5, lr_router=3e-4, max_steps=steps,
                      per_device_train_batch_size=8, max_length=512, save_steps=10**9, logging_steps=10, seed=0,
                      use_cpu=True, warmup_ratio=0.03,
                      # the monitor is a wings-train callback named by import path (wings_ref/train/callbacks.py)
                      callbacks={"monitor": {"path": "iitbench.monitor.wings_train.forgetting_monitor", **monitor}}
                      if monitor else {})
    before, after = Clock(), ClockAfter()
    built = build_run(cfg, callbacks=[before])
    built.trainer.add_callback(after)  # after the monitor, which build_run attached
    t0 = time.perf_counter()
    train(built)
    wall = time.perf_counter() - t0
    # Steps: on_step_begin -> first on_step_end (forward, backward, optimizer); the first step pays set-up costs.
    steps_wall = [e[0] - b[0] for b, e in zip(before.begin, before.end)][1:]
    steps_cpu = [e[1] - b[1] for b, e in zip(before.begin, before.end)][1:]
    gaps = [(a[0] - b[0], a[1] - b[1], i + 1) for i, (b, a) in enumerate(zip(before.end, after.end))]
    return {"wall": wall, "step_wall": statistics.median(steps_wall), "step_cpu": statistics.median(steps_cpu),
            "eval_gaps": [g for g in gaps if monitor and (g[2] % monitor["every_steps"] == 0 or g[2] == steps)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=Path(WEIGHTS_DIR) / "wings-tiny")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--n-text", type=int, default=64)
    parser.add_argument("--n-mm", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    monitor = {"every_steps": args.every, "n_text": args.n_text, "n_mm": args.n_mm}
    with tempfile.TemporaryDirectory(prefix="monitor_overhead_") as tmp:
        tmp = Path(tmp)
        write_llava_data(tmp / "data", LlavaDataSpec(n_visual_per_family=20, n_text_per_family=10, n_mixed=200))
        plain = run(args.model, tmp / "data", tmp / "plain", args.steps, None)
        mon = run(args.model, tmp / "data", tmp / "monitored", args.steps, monitor)
        records = read_records(tmp / "monitored" / "monitor" / RECORDS_FILE)
        same = all(torch.equal(a, b) for a, b in zip(load_file(tmp / "plain" / "model.safetensors").values(),
                                                      load_file(tmp / "monitored" / "model.safetensors").values()))
    evals = [r for r in records if r.step > 0]
    eval_wall = statistics.median(g[0] for g in mon["eval_gaps"])
    eval_cpu = statistics.median(g[1] for g in mon["eval_gaps"])
    intervals = sorted({args.every, *INTERVALS})
    result = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "torch_threads": args.threads,
                    "python": platform.python_version(), "torch": torch.__version__,
                    "load_average_1m_at_end": round(os.getloadavg()[0], 2)},
        "model": str(args.model), "steps": args.steps, "monitor": monitor,
        "step_seconds_median": {"wall": round(mon["step_wall"], 3), "cpu": round(mon["step_cpu"], 3),
                                "wall_plain_run": round(plain["step_wall"], 3)},
        "evaluations": len(evals),
        "eval_seconds_median": {"wall": round(eval_wall, 3), "cpu": round(eval_cpu, 3),
                                "text_wall": round(statistics.median(r.text_seconds for r in evals), 3),
                                "laws_wall": round(statistics.median(r.laws_seconds for r in evals), 3)},
        "baseline_seconds_wall": records[0].seconds if records else None,
        # one evaluation / the training time of the steps between two evaluations (same run, same load)
        "eval_pct_of_interval": {"wall": {n: round(100 * eval_wall / (n * mon["step_wall"]), 2) for n in intervals},
                                 "cpu": {n: round(100 * eval_cpu / (n * mon["step_cpu"]), 2) for n in intervals}},
        "run_wall_seconds": {"plain": round(plain["wall"], 1), "monitored": round(mon["wall"], 1)},
        "text_delta_last": evals[-1].text_delta if evals else None, "shift_last": evals[-1].shift if evals else None,
        "bit_identical_weights": same,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
