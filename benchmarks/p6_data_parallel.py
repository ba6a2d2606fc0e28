"""P6: data-parallel throughput, `torchrun --nproc_per_node 2 -m iitbench run` vs one process, on CPU.

Scores the IIT-synth `iit` suite with hf-causal on the benchmark Qwen2 (`bench_model.py`), option texts as
candidates, one torch thread per process (torchrun's default OMP_NUM_THREADS=1), first with 1 process, then with 2
(gloo). Prints the scored turns per second of each, from results.json (`provenance.timings.wall_s`: the run itself,
without interpreter start-up and model loading) and end to end (the whole command), their ratios (goal >= 1.7x), and
checks metrics and predictions are identical (log-likelihoods differ by float rounding only: each process
batches different neighbours together). On a shared machine the load average matters: it is
printed before and after.

    .venv/bin/python benchmarks/p6_data_parallel.py [--limit 60] [--nproc 2]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_model import make_bench_model

ROOT = Path(__file__).resolve().parents[1]
GOAL = 1.7


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(nproc: int, model: Path, out: Path, limit: int, extra_args: str) -> float:
    launcher = [sys.executable] if nproc == 1 else [
        sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc_per_node", str(nproc),
        "--master_addr", "127.0.0.1", "--master_port", str(_port())]
    cmd = [*launcher, "-m", "iitbench", "run", "--model", f"hf-causal:{model}", "--model-args", "dtype=float32" + extra_args,
           "--suite", "iit", "--limit", str(limit), "--candidates", "text", "--output", str(out), "--no-progress"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), "TQDM_DISABLE": "1"}
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=100, help="items per config")
    ap.add_argument("--nproc", type=int, default=2)
    ap.add_argument("--naive", action="store_true", help="prefix_sharing=false: 4x the compute per turn")
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()}, cpus {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = make_bench_model(tmp / "model")
        rows = {}
        for n in (1, args.nproc):
            out = tmp / f"run{n}"
            e2e = run(n, model, out, args.limit, ",prefix_sharing=false" if args.naive else "")
            res = json.loads((out / "results.json").read_text())
            turns = res["metrics"]["overall"]["n"]
            rows[n] = (turns / res["provenance"]["timings"]["wall_s"], turns / e2e, res,
                       (out / "samples.jsonl").read_bytes())
            print(f"{n} process(es): {turns} scored turns, run {res['provenance']['timings']['wall_s']:.2f} s "
                  f"({rows[n][0]:.1f} turns/s), end to end {e2e:.2f} s ({rows[n][1]:.1f} turns/s)")
        one, many = rows[1], rows[args.nproc]
        print(f"throughput ratio {args.nproc} vs 1: run {many[0] / one[0]:.2f}x, end to end {many[1] / one[1]:.2f}x "
              f"(goal >= {GOAL}x)")
        a, b = ([json.loads(x) for x in r[3].decode().splitlines()] for r in (one, many))
        diff = max(abs(x - y) for p, q in zip(a, b) for x, y in zip(p["loglik"], q["loglik"]))
        print(f"metrics identical: {one[2]['metrics'] == many[2]['metrics']}; predictions identical: "
              f"{[r['prediction'] for r in a] == [r['prediction'] for r in b]}; max |loglik diff| {diff:.1e} "
              f"(other batch neighbours: float rounding); samples.jsonl bytes identical: {one[3] == many[3]}")
        print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
