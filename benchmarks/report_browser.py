"""Sample browser at scale: size of `iitbench report --out report.html` and its load time in headless chromium for a
synthetic 10,000-item forgetting directory.

Builds a dataset (six paper configs, every turn's text distinct, `--distinct-images` photo-like 336 px JPEGs shared
round-robin by the V turns; by default one per V turn, the worst case for size), runs `iitbench forgetting` with the
`dummy` MLLM against the `random` base (no real model: the harness writes the usual run directories), writes the HTML
report and opens it from file:// in headless chromium `--repeats` times with `#page=1` (first page) and
`#filter=forgotten`. The page's script stamps performance.now() (ms since navigation start: HTML + JSON parse +
first page's DOM) into the DOM, which `--dump-dom` returns.

    .venv/bin/python benchmarks/report_browser.py [--items 10000] [--distinct-images N] [--repeats 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from iitbench.data.manifest import write_dataset
from iitbench.data.types import ImagePart, Item, TextPart, Turn

CONFIGS = ("T", "TT", "TTT", "TTV", "TV", "V")
SOURCES = ("bench.arith", "bench.reading", "bench.logic", "mmlu.physics", "mmlu.history")
WORDS = ("river", "seven", "blue", "market", "train", "left", "answer", "square", "number", "larger", "between",
         "picture", "count", "window", "green", "north", "bridge", "apple", "second", "circle")


def _image(rng: random.Random, size: int = 336) -> Image.Image:
    """Photo-like content (gradient, soft shapes, noise), so thumbnails compress like real pictures, not flat PNGs."""
    img = Image.linear_gradient("L").resize((size, size)).convert("RGB")
    scales = [rng.random() for _ in range(3)]
    img = Image.merge("RGB", [c.point([int(v * k) for v in range(256)]) for c, k in zip(img.split(), scales)])
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x, y, r = rng.randrange(size), rng.randrange(size), rng.randrange(10, 80)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    noise = Image.effect_noise((size, size), 24).convert("RGB")
    return Image.blend(img.filter(ImageFilter.GaussianBlur(2)), noise, 0.15)


def build(root: Path, n_items: int, n_images: int | None, seed: int = 0) -> int:
    rng = random.Random(seed)
    n_v = sum(CONFIGS[i % len(CONFIGS)].count("V") for i in range(n_items))
    n_images = n_v if n_images is None else max(1, min(n_images, n_v))
    (root / "images").mkdir(parents=True)
    for k in range(n_images):
        _image(rng).save(root / f"images/{k:05d}.jpg", quality=85)
    items, v = [], 0
    for i in range(n_items):
        cfg = CONFIGS[i % len(CONFIGS)]
        turns = []
        for j, kind in enumerate(cfg):
            text = TextPart(f"Q{i}.{j}: " + " ".join(rng.choice(WORDS) for _ in range(rng.randrange(12, 40))) + "?")
            parts = (TextPart("Look at the picture. "), ImagePart(f"images/{v % n_images:05d}.jpg"), text) \
                if kind == "V" else (text,)
            v += kind == "V"
            turns.append(Turn(kind=kind, source=rng.choice(SOURCES), parts=parts,
                              choices=tuple(f"{rng.choice(WORDS)} {i}-{j}-{k}" for k in range(4)),
                              answer=rng.randrange(4)))
        items.append(Item(id=f"b{i:05d}", config=cfg, turns=tuple(turns), scored_turn=len(cfg) - 1))
    write_dataset(root, items, name="browser-bench", version="1", licences={}, build={"seed": seed})
    return n_images


def _chromium() -> str:
    for name in (os.environ.get("IITBENCH_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    raise SystemExit("no chromium on PATH (apt-get install chromium, or set IITBENCH_CHROMIUM)")


def load(page: Path, fragment: str, profile: Path) -> dict[str, float]:
    """One headless load with --dump-dom: the page's own timings (ms since navigation start) and what it shows.
    (The process's wall time is not reported: serialising a 30 MB DOM takes chromium longer than loading it.)"""
    proc = subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
                           "--dump-dom", page.resolve().as_uri() + fragment], capture_output=True, text=True,
                          timeout=300)
    dom = proc.stdout

    def attr(name: str) -> float:
        m = re.search(rf'{name}="([0-9.]+)"', dom)
        if not m:
            raise SystemExit(f"{name} not in the dumped DOM (exit {proc.returncode}): {proc.stderr[-800:]}")
        return float(m.group(1))

    return {"parse_ms": attr("data-parse-ms"), "render_ms": attr("data-render-ms"), "total": attr("data-total"),
            "cards": float(dom.count('class="sb-item"')), "imgs": float(dom.count('class="sb-thumb"'))}


def screenshot_s(page: Path, profile: Path) -> float:
    """Wall time of a whole headless chromium run that loads the page and writes a screenshot of its first screen:
    what a user waits for, browser start included."""
    t0 = time.perf_counter()
    subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--user-data-dir={profile}", f"--screenshot={profile}.png", "--window-size=1280,1600",
                    page.resolve().as_uri()], capture_output=True, timeout=300, check=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--distinct-images", type=int, default=None, help="default: one per V turn (worst case)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--keep", type=Path, default=None, help="build in this directory and keep it")
    args = ap.parse_args()
    from iitbench import api

    tmp = None if args.keep else tempfile.TemporaryDirectory()
    root = args.keep or Path(tmp.name)
    try:
        t0 = time.perf_counter()
        n_images = build(root / "ds", args.items, args.distinct_images)
        t_build = time.perf_counter() - t0
        t0 = time.perf_counter()
        fg = api.forgetting("dummy", "random", suite=root / "ds", n_boot=200, output=root / "fg", progress=False)
        t_runs = time.perf_counter() - t0
        t0 = time.perf_counter()
        api.report([root / "fg"], root / "report.html")
        t_report = time.perf_counter() - t0
        size = (root / "report.html").stat().st_size
        html = (root / "report.html").read_text(encoding="utf-8")
        data = re.search(r'<script type="application/json" id="sb-data">(.*?)</script>', html, re.S).group(1)
        uris = re.findall(r'"data:image/[a-z]+;base64,[^"]*"', data)
        print(f"dataset: {args.items} items, {n_images} distinct images ({t_build:.1f} s); forgetting runs "
              f"{t_runs:.1f} s; report written in {t_report:.1f} s")
        print(f"report.html: {size / 2**20:.2f} MiB (embedded JSON {len(data.encode()) / 2**20:.2f} MiB, of which "
              f"{sum(map(len, uris)) / 2**20:.2f} MiB are {len(uris)} image data URIs)")
        forgotten = fg.summary["comparison"]["overall"]["only_b_correct"]
        for fragment in ("#page=1", "#filter=forgotten"):
            runs = [load(root / "report.html", fragment, root / f"profile{k}") for k in range(args.repeats)]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            print(f"{fragment}: first page rendered at {med['render_ms']:.0f} ms after navigation start (JSON parsed "
                  f"at {med['parse_ms']:.0f} ms; median of {args.repeats}); {med['total']:.0f} items match, "
                  f"{med['cards']:.0f} cards, {med['imgs']:.0f} thumbnails on the page"
                  + (f"; forgetting.json forgotten = {forgotten}" if "forgotten" in fragment else ""))
        (root / "blank.html").write_text("<!DOCTYPE html><title>blank</title><p>blank</p>")
        for name in ("report.html", "blank.html"):
            walls = [screenshot_s(root / name, root / f"shot-{name}-{k}") for k in range(args.repeats)]
            print(f"{name}: chromium start + load + screenshot {statistics.median(walls):.2f} s wall (median of "
                  f"{args.repeats})")
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
