"""Harness overhead: scored turns per second of the runner itself (rendering, batching, records, resume log).

Builds a ~2,000-item dataset (six paper configs, tiny PNGs for V turns) in a temp dir and runs it teacher-forced
through the `dummy` adapter, whose scoring costs nothing, so the time is the harness's. Goal: >= 2,000 turns/s on
2 CPU cores. Prints the figures and the ratio to the goal; `--profile` prints the top cProfile entries.

    .venv/bin/python benchmarks/harness_throughput.py [--items 2000] [--batch-size 8] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from PIL import Image

from iitbench.data.manifest import load_dataset_dir, write_dataset
from iitbench.data.types import ImagePart, Item, TextPart, Turn
from iitbench.models import load_model
from iitbench.runner import RunSettings, run_dataset

GOAL = 2000.0
CONFIGS = ("T", "TT", "TTT", "TTV", "TV", "V")


def build(root: Path, n_items: int) -> None:
    (root / "images").mkdir(parents=True)
    for c in range(4):
        Image.new("RGB", (16, 16), (60 * c, 40, 200 - 40 * c)).save(root / f"images/{c}.png")
    items = []
    for i in range(n_items):
        cfg = CONFIGS[i % len(CONFIGS)]
        turns = []
        for j, kind in enumerate(cfg):
            text = TextPart(f"Item {i}, turn {j}: which of these numbers is the largest? " * 3)
            parts = (text, ImagePart(f"images/{(i + j) % 4}.png")) if kind == "V" else (text,)
            turns.append(Turn(kind=kind, source=f"bench.{kind}", parts=parts,
                              choices=tuple(str(i * 10 + k) for k in range(4)), answer=(i + j) % 4))
        items.append(Item(id=f"b{i:05d}", config=cfg, turns=tuple(turns), scored_turn=len(cfg) - 1))
    write_dataset(root, items, name="bench", version="1", licences={}, build={})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=2000)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--mode", default="teacher-forced", choices=["teacher-forced", "free-running"])
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build(root / "ds", args.items)
        t0 = time.perf_counter()
        ds = load_dataset_dir(root / "ds")
        t_load = time.perf_counter() - t0
        adapter = load_model("dummy")
        settings = RunSettings(batch_size=args.batch_size, mode=args.mode)
        prof = cProfile.Profile() if args.profile else None
        t0 = time.perf_counter()
        if prof:
            prof.enable()
        out = run_dataset(adapter, ds, settings, root / "run", model_spec="dummy", model_args={}, progress=False)
        if prof:
            prof.disable()
        t_run = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = run_dataset(adapter, ds, settings, root / "run", model_spec="dummy", model_args={}, progress=False)
        t_resume = time.perf_counter() - t0
        assert again.computed == 0 and again.resumed == out.computed
    rate = out.computed / t_run
    print(f"dataset load+validate: {args.items} items in {t_load:.2f}s")
    print(f"run ({args.mode}, dummy, batch {args.batch_size}): {out.computed} scored turns in {t_run:.2f}s "
          f"= {rate:,.0f} turns/s")
    print(f"resume of the finished run (nothing to compute): {t_resume:.2f}s")
    print(f"ratio to goal ({GOAL:,.0f} turns/s): {rate / GOAL:.2f}x")
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(20)


if __name__ == "__main__":
    main()
