"""Atomic file writes and the chunked work store that makes diagnose resumable.

Every file is written to a temporary name in its directory, fsynced and renamed over the target, so an interrupted
run leaves either the old file or the new one, never half of one. The work store keeps one model pass as chunks of
`CHUNK_ITEMS` items under OUTPUT/work/<pass>/: each chunk's arrays (`.npy`, read back memory-mapped) and then its
`.json` meta, written last, which is what marks the chunk done. A rerun skips the done chunks.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def _atomic(path: Path, write: Callable[[Any], None], mode: str = "wb") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> None:
    text = json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"
    _atomic(path, lambda f: f.write(text), "w")


def write_text(path: Path, text: str) -> None:
    _atomic(path, lambda f: f.write(text), "w")


def write_npy(path: Path, array: np.ndarray) -> None:
    _atomic(path, lambda f: np.save(f, np.ascontiguousarray(array), allow_pickle=False))


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Like np.savez_compressed, but with fixed zip timestamps: the same arrays give the same bytes."""
    import io
    import zipfile

    def write(f) -> None:
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for name, array in arrays.items():
                buf = io.BytesIO()
                np.lib.format.write_array(buf, np.ascontiguousarray(array), allow_pickle=False)
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, buf.getvalue())

    _atomic(path, write)


def write_png(path: Path, fig) -> None:
    _atomic(path, lambda f: fig.savefig(f, format="png", dpi=90, metadata={"Software": None}))


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in `path`, or None when the file is missing or unreadable (then it is recomputed)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class WorkStore:
    """One model pass, chunk by chunk: `done(i, needs)`, `write(i, arrays, meta)`, `meta(i)`, `array(i, name)`."""

    def __init__(self, root: Path):
        self.root = root

    def _meta_path(self, index: int) -> Path:
        return self.root / f"chunk-{index:05d}.json"

    def _array_path(self, index: int, name: str) -> Path:
        return self.root / f"chunk-{index:05d}.{name}.npy"

    def meta(self, index: int) -> dict[str, Any] | None:
        return read_json(self._meta_path(index))

    def done(self, index: int, keys: list[str], needs: set[str]) -> bool:
        """Chunk `index` was written for exactly these item keys and holds every array/field in `needs`."""
        meta = self.meta(index)
        return meta is not None and meta.get("keys") == keys and needs <= set(meta.get("has", []))

    def write(self, index: int, keys: list[str], arrays: dict[str, np.ndarray], fields: dict[str, Any]) -> None:
        for name, array in arrays.items():
            write_npy(self._array_path(index, name), array)
        write_json(self._meta_path(index), {"keys": keys, "has": sorted([*arrays, *fields]), **fields})

    def array(self, index: int, name: str) -> np.ndarray:
        return np.load(self._array_path(index, name), mmap_mode="r", allow_pickle=False)


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


__all__ = ["WorkStore", "read_json", "remove_tree", "write_json", "write_npy", "write_npz", "write_png",
           "write_text"]
