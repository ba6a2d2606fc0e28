"""Write a built dataset: content-addressed images, then items.jsonl + dataset.json, swapped in atomically.

The whole directory is written into a hidden temporary sibling and renamed into place, so a reader never sees a
half-built dataset and an interrupted build leaves the old one intact.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from iitbench.data.manifest import CARD_FILE, ITEMS_FILE, load_dataset_dir, write_dataset
from iitbench.data.types import DatasetCard, ImageBlob, Item
from iitbench.errors import DataError, UserError

IMAGES_DIR = "images"
_EXT_ALIASES = {"jpeg": "jpg", "tif": "tiff"}


def blob_path(blob: ImageBlob, where: str = "image") -> str:
    """`images/<sha256 prefix>.<ext>`: equal bytes share one file, so images are deduplicated by construction."""
    fmt = _EXT_ALIASES.get(blob.format.lower().lstrip("."), blob.format.lower().lstrip("."))
    if not re.fullmatch(r"[a-z0-9]{1,5}", fmt):
        raise DataError(f"{where}: image format {blob.format!r} is not a file extension such as png or jpg")
    return f"{IMAGES_DIR}/{hashlib.sha256(blob.data).hexdigest()[:20]}.{fmt}"


def is_dataset_dir(path: Path) -> bool:
    return (path / ITEMS_FILE).is_file() or (path / CARD_FILE).is_file()


def check_out_dir(out: Path, flag: str = "--out") -> None:
    """Refuse to replace anything that is not a dataset: a build swaps the whole directory."""
    if out.exists() and not out.is_dir():
        raise UserError(f"{flag} {out}: is a file; pass a directory")
    if out.is_dir() and any(out.iterdir()) and not is_dataset_dir(out):
        raise UserError(f"{flag} {out}: directory is not empty and holds no dataset; pass a new or empty directory")


def _swap_in(tmp: Path, out: Path, replace: bool) -> bool:
    """Rename tmp to out. Returns False (and leaves out alone) when out appeared meanwhile and `replace` is off."""
    try:
        os.rename(tmp, out)  # succeeds when out is missing or an empty directory
        return True
    except OSError:
        if not replace:
            return False
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)
    os.rename(out, old)
    os.rename(tmp, out)
    shutil.rmtree(old, ignore_errors=True)
    return True


def write_build(out: Path, items: Iterable[Item], images: Mapping[str, bytes], name: str, version: str,
                licences: dict[str, str], build: dict[str, Any], replace: bool = True) -> DatasetCard:
    """Write a dataset directory at `out` from items whose image parts point at keys of `images`.

    With `replace=False` an `out` that another process finished first is kept and its card returned.
    """
    out = Path(out)
    check_out_dir(out)
    items = list(items)
    referenced = sorted({p.path for it in items for t in it.turns for p in t.images})
    missing = [p for p in referenced if p not in images]
    if missing:
        raise DataError(f"{out}: item image {missing[0]!r} has no bytes to write (builder bug or edited items)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.building-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        (tmp / IMAGES_DIR).mkdir(parents=True)
        for rel in referenced:
            (tmp / rel).write_bytes(images[rel])
        card = write_dataset(tmp, items, name=name, version=version, licences=licences, build=build)
        if not _swap_in(tmp, out, replace):
            return load_dataset_dir(out, check_images=False).card
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return card
