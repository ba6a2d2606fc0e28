"""What a study derives from its runs: the context-free twin of a dataset and compact per-item results.

- `without_context(dataset, out)`: every item reduced to its scored turn (same id, config = that turn's kind), its
  images copied along, so "the same question with and without its context turns" can be paired item by item.
- `write_scored(run_dir)`: `scored.csv` (id, config, turn, correct) beside a run's results.json: what tables need per
  item, small enough to commit (samples.jsonl and laws.npz are not, and a study's `.gitignore` leaves them out).
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import replace
from pathlib import Path

from iitbench.data.manifest import Dataset, load_dataset_dir, write_dataset
from iitbench.data.types import ImagePart

SCORED_FILE = "scored.csv"
GITIGNORE = """# written by `iitbench study`: the small result files are meant to be committed, these are not
samples.jsonl
laws.npz
run.json
*.png
*.svg
.iitbench.lock*
_submitit/
_data/
_base/
**/diagnose/*
!**/diagnose/diagnose.json
"""


def without_context(dataset: Dataset, out: Path) -> Dataset:
    """The dataset with each item cut to its scored turn (built once; reused when `out` already holds it)."""
    out = Path(out)
    if (out / "items.jsonl").is_file():
        return load_dataset_dir(out)
    items = []
    for item in dataset.items:
        turn = item.turns[item.scored_turn]
        for part in turn.parts:
            if isinstance(part, ImagePart) and not (out / part.path).exists():
                (out / part.path).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(dataset.root / part.path, out / part.path)
        items.append(replace(item, config=turn.kind, turns=(turn,), scored_turn=0))
    write_dataset(out, items, name=f"{dataset.card.name}-no-context", version=dataset.card.version,
                  licences=dataset.card.licences, build={"derived_from": dataset.fingerprint, "cut": "scored turn"})
    return load_dataset_dir(out)


def write_scored(run_dir: Path) -> Path:
    """scored.csv of a run: one row per scored, applicable turn (correct as 0/1), in samples.jsonl order."""
    from iitbench.runner.samplelog import SAMPLES_FILE, read_records

    path = Path(run_dir) / SCORED_FILE
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["id", "config", "turn", "correct"])
        for r in read_records(Path(run_dir) / SAMPLES_FILE):
            if r["scored"] and r["status"] == "ok":
                writer.writerow([r["id"], r["config"], r["turn"], int(bool(r["correct"]))])
    return path


def read_scored(run_dir: Path) -> dict[str, tuple[str, int]]:
    """{item id: (config, correct)} from a run's scored.csv."""
    with open(Path(run_dir) / SCORED_FILE, encoding="utf-8") as fh:
        return {row["id"]: (row["config"], int(row["correct"])) for row in csv.DictReader(fh)}


__all__ = ["GITIGNORE", "SCORED_FILE", "read_scored", "without_context", "write_scored"]
