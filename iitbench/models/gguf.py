"""GGUF files (llama.cpp's single-file format): which file a model path names, what it holds, and its content hash.

A model path names a GGUF when it is a `.gguf` file, or a folder without `config.json` that holds exactly one
`.gguf` (several: the user names one). `inspect_gguf` reads the metadata with the `gguf` package (the reader
transformers itself uses, https://github.com/ggml-org/llama.cpp/tree/master/gguf-py): architecture, quantisation
(`general.file_type`, e.g. MOSTLY_Q4_1 -> "Q4_1") and tensor sizes. A file the reader cannot parse (truncated,
not a GGUF) and a split GGUF (transformers reads single files only) are one-line ModelErrors naming the file.

The sha256 of a file is memoised per (absolute path, size, mtime) in a small sidecar under the cache, so a cached
conversion is found without re-reading the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from iitbench.errors import ModelError

SUFFIX = ".gguf"
GGUF_INSTALL = "pip install 'gguf>=0.10'"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class GGUFInfo:
    """What a GGUF file is, read from its header (no tensor is dequantised)."""

    path: Path
    sha256: str
    size: int
    architecture: str
    quantization: str  # e.g. "Q4_1": general.file_type, else the most common tensor type
    tensor_types: tuple[str, ...]  # every tensor type in the file, sorted (Q4_1 files keep some F32 / Q8_0)
    n_elements: int  # parameters stored, for the disk check before conversion
    name: str | None  # general.name
    license: str | None  # general.license


def is_gguf_name(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(SUFFIX)


def find_gguf(path: str | os.PathLike) -> Path | None:
    """The GGUF file `path` names: the file itself, or the one `.gguf` in a folder without config.json; None when
    `path` names no GGUF (a save_pretrained folder, a hub id)."""
    if not str(path):
        return None
    p = Path(path).expanduser()
    if is_gguf_name(p):
        if not p.is_file():
            raise ModelError(f"GGUF file {path} does not exist; pass the path of a .gguf file (download one with "
                             f"`huggingface-cli download REPO FILE.gguf`)")
        return p.resolve()
    if not p.is_dir() or (p / "config.json").is_file():
        return None  # a save_pretrained folder (even one that also holds a GGUF) loads as it is
    found = sorted(f for f in p.iterdir() if f.is_file() and is_gguf_name(f))
    if len(found) > 1:
        names = ", ".join(f.name for f in found[:3]) + (", ..." if len(found) > 3 else "")
        raise ModelError(f"{path} holds {len(found)} GGUF files ({names}); name one, e.g. "
                         f"hf-causal:{p / found[0].name}")
    return found[0].resolve() if found else None


def require_gguf_package() -> None:
    import importlib.util

    if importlib.util.find_spec("gguf") is None:
        raise ModelError(f"reading GGUF files needs the gguf package; run `{GGUF_INSTALL}`")


def quantization_name(file_type: int | None, tensor_types: Counter) -> str:
    """llama.cpp's name of `general.file_type` without its MOSTLY_/ALL_ prefix; the most common tensor type (by
    elements) when the file does not say."""
    import gguf

    if file_type is not None:
        try:
            # 1024 is llama.cpp's "guessed" flag (the type was inferred by its converter)
            name = gguf.LlamaFileType(int(file_type) & ~1024).name
        except ValueError:
            return f"file_type {file_type}"
        return name.removeprefix("MOSTLY_").removeprefix("ALL_")
    return tensor_types.most_common(1)[0][0] if tensor_types else "unknown"


def _field(reader, key: str):
    field = reader.fields.get(key)
    if field is None:
        return None
    value = field.contents()
    return value if not isinstance(value, list) or value else None


def inspect_gguf(path: Path, memo_dir: Path | None = None) -> GGUFInfo:
    """Read `path`'s header; one-line ModelError for a damaged file or a split GGUF."""
    require_gguf_package()
    import gguf

    try:
        reader = gguf.GGUFReader(path)
        architecture = _field(reader, "general.architecture")
        split = _field(reader, "split.count")
        tensors = Counter()
        for t in reader.tensors:
            tensors[t.tensor_type.name] += int(t.n_elements)
        file_type = _field(reader, "general.file_type")
        name, license_ = _field(reader, "general.name"), _field(reader, "general.license")
    except Exception as e:  # noqa: BLE001 - the reader raises ValueError, IndexError, ... on a damaged file
        reason = " ".join(str(e).split())[:200] or type(e).__name__
        raise ModelError(f"{path} is not a readable GGUF file ({reason}); it is damaged or truncated: download it "
                         f"again") from None
    if not isinstance(architecture, str) or not architecture:
        raise ModelError(f"{path} has no general.architecture in its metadata; it is damaged or not a model GGUF")
    if split is not None and int(split) > 1:
        raise ModelError(f"{path} is one part of a {int(split)}-part split GGUF, which transformers cannot read; "
                         f"merge the parts first (llama.cpp's `llama-gguf-split --merge FIRST.gguf OUT.gguf`)")
    size = path.stat().st_size
    return GGUFInfo(path=path, sha256=file_sha256(path, memo_dir), size=size, architecture=architecture,
                    quantization=quantization_name(file_type, tensors), tensor_types=tuple(sorted(tensors)),
                    n_elements=sum(tensors.values()), name=name if isinstance(name, str) else None,
                    license=license_ if isinstance(license_, str) else None)


def file_sha256(path: Path, memo_dir: Path | None = None) -> str:
    """sha256 of the whole file; memoised in `memo_dir` by (absolute path, size, mtime) when given."""
    stat = path.stat()
    stamp = {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    memo = (memo_dir / f"{hashlib.sha256(stamp['path'].encode()).hexdigest()[:16]}.json") if memo_dir else None
    if memo is not None and memo.is_file():
        try:
            saved = json.loads(memo.read_text(encoding="utf-8"))
            if {k: saved.get(k) for k in stamp} == stamp and isinstance(saved.get("sha256"), str):
                return saved["sha256"]
        except (OSError, ValueError):
            pass  # an unreadable memo is recomputed and rewritten
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            h.update(block)
    digest = h.hexdigest()
    if memo is not None:
        try:  # atomic, so a concurrent reader sees the old memo or the new one
            memo.parent.mkdir(parents=True, exist_ok=True)
            tmp = memo.with_name(f"{memo.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({**stamp, "sha256": digest}) + "\n", encoding="utf-8")
            os.replace(tmp, memo)
        except OSError:
            pass  # a read-only cache only costs a re-hash next time
    return digest


__all__ = ["GGUFInfo", "SUFFIX", "file_sha256", "find_gguf", "inspect_gguf", "is_gguf_name", "quantization_name",
           "require_gguf_package"]
