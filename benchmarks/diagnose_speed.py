"""Cost of `iitbench diagnose` against `iitbench forgetting` on the same zoo pair (issue 22: goal <= 2x).

Both commands run as fresh processes with one torch thread (`--threads 1`), alternating, each into a new output
directory: forgetting on the text suite (350 items, every candidate scored, both models), diagnose on the same 350
text items (both models' text passes: answer-position logits and per-layer states, KL/JS, CKA), 100 IIT image
dialogues (mixing) and the weight drift. Reported per command: the median wall time, the median CPU time of the
process (less inflated than wall time when other jobs share the cores), the peak resident memory, and the ratios.

    .venv/bin/python benchmarks/diagnose_speed.py [--model wings-tiny] [--base base-tiny] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IITBENCH = str(Path(sys.executable).with_name("iitbench"))


def timed(cmd: list[str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of one child process, which must succeed."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="wings-tiny")
    ap.add_argument("--base", default="base-tiny")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--limit", type=int, default=None, help="text items (default: the whole text suite, 350)")
    ap.add_argument("--iit-limit", type=int, default=100)
    args = ap.parse_args()
    common = ["--model", args.model, "--base", args.base, "--threads", "1", "--no-progress"]
    limit = ["--limit", str(args.limit)] if args.limit else []
    rows: dict[str, list[tuple[float, float, float]]] = {"forgetting": [], "diagnose": []}
    with tempfile.TemporaryDirectory(prefix="diagnose-speed-") as tmp:
        for r in range(args.repeats):
            for name in ("forgetting", "diagnose"):
                extra = ["--iit-limit", str(args.iit_limit)] if name == "diagnose" else []
                out = Path(tmp) / f"{name}-{r}"
                rows[name].append(timed([IITBENCH, name, *common, *limit, *extra, "--output", str(out)]))
                print(f"repeat {r} {name}: wall {rows[name][-1][0]:.1f} s, CPU {rows[name][-1][1]:.1f} s, "
                      f"peak {rows[name][-1][2]:.0f} MiB", flush=True)
    med = {k: [statistics.median(x[i] for x in v) for i in range(3)] for k, v in rows.items()}
    print(f"\nmachine: {platform.platform()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; python "
          f"{platform.python_version()}; {args.repeats} repeats, medians\n")
    print("| command | wall | CPU | peak RSS |\n|---|---:|---:|---:|")
    for k, (wall, cpu, rss) in med.items():
        print(f"| {k} | {wall:.1f} s | {cpu:.1f} s | {rss:.0f} MiB |")
    f, d = med["forgetting"], med["diagnose"]
    print(f"| diagnose / forgetting | {d[0] / f[0]:.2f}x | {d[1] / f[1]:.2f}x | {d[2] / f[2]:.2f}x |")


if __name__ == "__main__":
    main()
