"""Build small IIT-shaped datasets for tests (no dependency on iitbench.datasets)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from iitbench.data.manifest import write_dataset
from iitbench.data.types import ImagePart, Item, TextPart, Turn

CONFIGS = ("T", "TT", "TTT", "TTV", "TV", "V")
COLOURS = ("red", "green", "blue", "white")


def _images(root: Path) -> list[str]:
    (root / "images").mkdir(parents=True, exist_ok=True)
    paths = []
    for colour in COLOURS:
        rel = f"images/{colour}.png"
        Image.new("RGB", (8, 8), colour).save(root / rel)
        paths.append(rel)
    return paths


def _turn(kind: str, seed: int, images: list[str]) -> Turn:
    n = 3 + seed % 2
    choices = tuple(f"option {seed}-{j}" + "x" * ((seed + j) % 5) for j in range(n))
    if kind == "V":
        parts = (TextPart("Look at this: "), ImagePart(images[seed % len(images)]), TextPart(f" What is {seed}?"))
    else:
        parts = (TextPart(f"Question {seed}: which option?"),)
    return Turn(kind=kind, source=f"test.{kind.lower()}{seed % 2}", parts=parts, choices=choices, answer=seed % n)


def make_dataset(root: Path, per_config: int = 8, configs: tuple[str, ...] = CONFIGS, name: str = "tiny") -> Path:
    root = Path(root)
    images = _images(root)
    items = []
    k = 0
    for i in range(per_config):
        for cfg in configs:  # interleaved configs: --limit must pick per config, not a prefix
            turns = tuple(_turn(c, k * 7 + j, images) for j, c in enumerate(cfg))
            items.append(Item(id=f"{cfg}-{i:03d}", config=cfg, turns=turns, scored_turn=len(cfg) - 1))
            k += 1
    write_dataset(root, items, name=name, version="1", licences={"test": "CC0"}, build={"seed": 0})
    return root
