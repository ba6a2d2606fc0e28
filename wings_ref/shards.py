"""Find and read the weight files of a checkpoint directory, one shard at a time.

safetensors shards are listed by `model.safetensors.index.json` when present, else every `*.safetensors` file.
Pickle weights (`*.bin` / `*.pt`) are only read when the caller allows it, with `torch.load(weights_only=True)`.
Key names and shapes of safetensors shards come from the file headers, so checks run before any tensor is read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import safe_open

from .errors import CheckpointError, name_some

SAFE_INDEX = "model.safetensors.index.json"
PICKLE_INDEX = "pytorch_model.bin.index.json"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth")
SAFE_DTYPES = {"BF16": torch.bfloat16, "F16": torch.float16, "F32": torch.float32, "F64": torch.float64}


@dataclass(frozen=True)
class TensorInfo:
    """Where one checkpoint tensor lives and its shape (read from the header, not the data)."""

    file: Path
    shape: tuple[int, ...]
    dtype: torch.dtype | None  # None for non-float tensors


@dataclass(frozen=True)
class ShardSet:
    directory: Path
    files: tuple[Path, ...]
    pickle: bool
    tensors: dict  # checkpoint key -> TensorInfo, sorted by key


def _files_from_index(directory: Path, index_name: str) -> tuple[Path, ...] | None:
    index = directory / index_name
    if not index.is_file():
        return None
    try:
        weight_map = json.loads(index.read_text())["weight_map"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{index}: not a valid index ({exc}); it needs a 'weight_map' object") from exc
    names = sorted(set(weight_map.values()))
    missing = [name for name in names if not (directory / name).is_file()]
    if missing:
        raise CheckpointError(f"{index} lists shard file {name_some(missing)} that is not in {directory}; "
                              "download the missing shard(s)")
    return tuple(directory / name for name in names)


def find_shards(directory: str | Path, allow_pickle: bool = False) -> ShardSet:
    """The weight files of `directory` with every tensor's key, file and shape."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CheckpointError(f"{directory}: checkpoint directory not found")
    files = _files_from_index(directory, SAFE_INDEX)
    if files is None:
        files = tuple(sorted(directory.glob("*.safetensors")))
    if files:
        return ShardSet(directory, files, False, _safetensors_headers(files))
    pickles = _files_from_index(directory, PICKLE_INDEX) or tuple(
        sorted(p for p in directory.iterdir() if p.suffix in PICKLE_SUFFIXES and p.is_file()))
    if not pickles:
        raise CheckpointError(f"{directory}: no *.safetensors (or *.bin/*.pt) weight files found")
    if not allow_pickle:
        raise CheckpointError(f"{directory}: only pickle weights ({name_some([p.name for p in pickles])}); pickle "
                              "files can run code when loaded: convert them to safetensors or pass allow_pickle=True")
    tensors = {}
    for path in pickles:
        for key, tensor in _load_pickle(path).items():
            tensors[key] = TensorInfo(path, tuple(tensor.shape), tensor.dtype)
    return ShardSet(directory, pickles, True, dict(sorted(tensors.items())))


def _safetensors_headers(files: tuple[Path, ...]) -> dict:
    tensors = {}
    for path in files:
        with _open_safetensors(path) as handle:
            for key in handle.keys():
                if key in tensors:
                    raise CheckpointError(f"{path}: key {key!r} is also in {tensors[key].file.name}; remove one copy")
                piece = handle.get_slice(key)
                tensors[key] = TensorInfo(path, tuple(piece.get_shape()), SAFE_DTYPES.get(piece.get_dtype(), None))
    return dict(sorted(tensors.items()))


def _open_safetensors(path: Path):
    """safe_open, with a truncated, empty or foreign file as a one-line CheckpointError."""
    try:
        return safe_open(str(path), framework="pt")
    except Exception as exc:  # noqa: BLE001 - safetensors raises SafetensorError / OSError / ValueError
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise CheckpointError(f"{path}: not a readable safetensors file ({reason}); download it again") from None


def _load_pickle(path: Path) -> dict:
    try:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError:  # legacy (non-zip) format cannot be memory-mapped
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - empty, truncated or refused (code payload) pickles
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise CheckpointError(f"{path}: not a loadable weights file ({reason}); download it again or convert "
                              "it to safetensors") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path}: not a flat dict of tensors (a state_dict); cannot load it")
    return state


def iter_shards(shards: ShardSet) -> Iterator[tuple[Path, dict]]:
    """(file, {key: tensor}) one shard at a time, so at most one shard is held besides the model."""
    for path in shards.files:
        if shards.pickle:
            yield path, _load_pickle(path)
        else:
            with _open_safetensors(path) as handle:
                try:
                    tensors = {key: handle.get_tensor(key) for key in handle.keys()}
                except Exception as exc:  # noqa: BLE001 - a header that promises more bytes than the file has
                    raise CheckpointError(f"{path}: truncated or damaged tensor data ({type(exc).__name__}); "
                                          "download it again") from None
                yield path, tensors


__all__ = ["TensorInfo", "ShardSet", "find_shards", "iter_shards", "SAFE_INDEX", "PICKLE_INDEX"]
