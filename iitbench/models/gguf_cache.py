"""GGUF -> a plain safetensors folder in the iitbench cache, converted once per file content.

`convert_gguf(file)` returns `<cache>/models/gguf-<sha256[:16]>-c<FORMAT>/` (cache: $IITBENCH_CACHE or
~/.cache/iitbench): config.json, model.safetensors (float32), generation_config.json, the tokenizer and the chat
template transformers rebuilds from the GGUF's metadata, and `iitbench-gguf.json`, the provenance (source file,
sha256, size, quantisation, "Q4_1 dequantised to float32", architecture, versions). Later loads take under a second
instead of dequantising again.

transformers reads the GGUF (`from_pretrained(folder, gguf_file=...)`, every architecture and quantisation it
supports) but refuses to save a GGUF-loaded model, so its tensors move, without a copy, into a model built from the
same config minus the quantisation entry, which saves as plain safetensors.

Safety: one conversion per file at a time (a file lock); it writes into a temporary folder beside the target and
renames it into place with the provenance already inside, so a folder with `iitbench-gguf.json` is always complete;
leftovers of a killed conversion are removed by the next one.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iitbench.errors import ModelError
from iitbench.models.gguf import GGUFInfo, file_sha256, find_gguf, inspect_gguf

FORMAT = 1  # bump when the conversion's output changes, so older cache folders are not reused
PROVENANCE_FILE = "iitbench-gguf.json"
DTYPE = "float32"  # what gguf's dequantize returns: keeping it adds no rounding to the quantised weights


@dataclass(frozen=True)
class Converted:
    """A converted GGUF: the safetensors folder and its provenance (`iitbench-gguf.json`)."""

    folder: Path
    provenance: dict[str, Any]


def models_dir() -> Path:
    from iitbench.datasets.suites import cache_root

    return cache_root() / "models"


def target_folder(sha256: str) -> Path:
    return models_dir() / f"gguf-{sha256[:16]}-c{FORMAT}"


def read_provenance(folder: Path, sha256: str | None = None) -> dict[str, Any] | None:
    """The provenance of a finished conversion in `folder` (matching `sha256` when given); None otherwise."""
    try:
        prov = json.loads((Path(folder) / PROVENANCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(prov, dict) or prov.get("format") != FORMAT or (sha256 and prov.get("sha256") != sha256):
        return None
    return prov


def convert_if_gguf(path: str) -> Converted | None:
    """The converted folder when `path` names a GGUF (a .gguf file or a folder holding one); None otherwise."""
    file = find_gguf(path)
    return None if file is None else convert_gguf(file)


def convert_gguf(file: str | os.PathLike) -> Converted:
    """The cached safetensors folder of GGUF `file`, converting it first when needed (see the module docstring)."""
    from filelock import FileLock

    file = Path(file).expanduser().resolve()
    memo = models_dir() / "gguf-hashes"
    try:
        sha = file_sha256(file, memo)
    except OSError as e:
        raise ModelError(f"cannot read GGUF file {file}: {e.strerror or e}; pass a readable .gguf file") from None
    out = target_folder(sha)
    found = read_provenance(out, sha)
    if found is None:
        lock = FileLock(str(out.parent / f"{out.name}.lock"))
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            acquired = _try_acquire(lock)
        except OSError as e:
            raise ModelError(f"cannot write the GGUF conversion cache {out.parent}: {e.strerror or e}; set "
                             f"IITBENCH_CACHE to a writable folder") from None
        if not acquired:
            print(f"waiting for another process converting {file.name} into {out}", file=sys.stderr)
            lock.acquire()
        try:
            found = read_provenance(out, sha)  # the other process may have finished it meanwhile
            if found is None:
                found = _convert_locked(inspect_gguf(file, memo), out)
        finally:
            lock.release()
    return Converted(folder=out, provenance={**found, "source": str(file)})  # this file, wherever it lies


def _try_acquire(lock) -> bool:
    from filelock import Timeout

    try:
        lock.acquire(timeout=0)
        return True
    except Timeout:
        return False


def _convert_locked(info: GGUFInfo, out: Path) -> dict[str, Any]:
    """Convert into a temporary folder and rename it to `out` (the lock is held)."""
    for stale in out.parent.glob(f".{out.name}.tmp-*"):  # a killed conversion's leftovers
        shutil.rmtree(stale, ignore_errors=True)
    _check_architecture(info)
    _check_disk(info, out.parent)
    print(f"converting {info.path.name} ({info.quantization}, {info.architecture}) into {out} (once; later runs "
          f"reuse it)", file=sys.stderr)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        with _explained(info):
            tmp.mkdir()
            prov = _write_folder(info, tmp)
            (tmp / PROVENANCE_FILE).write_text(json.dumps(prov, indent=2) + "\n", encoding="utf-8")
            if out.exists():  # no provenance (or an older format): not a finished conversion of this code
                shutil.rmtree(out)
            os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return prov


def _check_architecture(info: GGUFInfo) -> None:
    """Refuse, before any work, an architecture transformers' GGUF reader has no entry for. Loose on purpose (a
    supported name inside the file's, e.g. qwen2moe, passes): transformers itself has the last word, and its refusal
    is turned into the same message."""
    try:
        from transformers.modeling_gguf_pytorch_utils import GGUF_SUPPORTED_ARCHITECTURES
    except ImportError:  # moved in some transformers version: let the conversion itself decide
        return

    def squash(name: str) -> str:
        return name.lower().replace("_", "").replace("-", "")

    known = [a for a in GGUF_SUPPORTED_ARCHITECTURES if a not in ("general", "tokenizer")]  # sections, not models
    if not any(squash(a) in squash(info.architecture) for a in known):
        raise ModelError(_unsupported(info, f"it reads {', '.join(known)}"))


def _unsupported(info: GGUFInfo, reason: str) -> str:
    import transformers

    return (f"{info.path}: transformers {transformers.__version__} cannot read GGUF architecture "
            f"{info.architecture!r} ({reason}); use the model's safetensors release with hf-causal:, or a "
            f"transformers version that supports it")


def _check_disk(info: GGUFInfo, where: Path) -> None:
    need = 4 * info.n_elements + (64 << 20)  # float32 weights + tokenizer and slack
    free = shutil.disk_usage(where).free
    if free < need:
        raise ModelError(f"converting {info.path} to float32 needs about {need / 1e9:.1f} GB in {where}, but only "
                         f"{free / 1e9:.1f} GB are free; set IITBENCH_CACHE to a folder on a larger disk")


def _write_folder(info: GGUFInfo, folder: Path) -> dict[str, Any]:
    """Dequantise `info.path` with transformers and save it with its tokenizer into `folder`; the provenance."""
    import copy
    from importlib.metadata import version

    import torch
    import transformers

    model = _load_model(info)
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(info.path.parent), gguf_file=info.path.name)
    for name, tensor in model.state_dict().items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise ModelError(f"{info.path}: tensor {name} holds NaN or infinity after dequantising; the file is "
                             f"damaged: download it again")
    config = copy.deepcopy(model.config)
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # what makes transformers refuse to save
    with torch.device("meta"):  # no second copy of the weights: the loaded tensors are moved in below
        plain = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(model.state_dict(), strict=True, assign=True)
    plain.tie_weights()  # assign=True replaced the tied parameters one by one
    plain.generation_config = model.generation_config
    plain.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return {
        "format": FORMAT,
        "source": str(info.path),
        "file": info.path.name,
        "sha256": info.sha256,
        "size": info.size,
        "architecture": info.architecture,
        "model_class": type(plain).__name__,
        "name": info.name,
        "license": info.license,
        "quantization": info.quantization,
        "tensor_types": list(info.tensor_types),
        "conversion": f"{info.quantization} dequantised to {DTYPE}",
        "dtype": DTYPE,
        "chat_template": "from the GGUF" if getattr(tokenizer, "chat_template", None) else None,
        "versions": {"gguf": version("gguf"), "transformers": transformers.__version__,
                     "torch": torch.__version__, "iitbench": _iitbench_version()},
    }


def _load_model(info: GGUFInfo):
    import torch
    from transformers import AutoModelForCausalLM

    model, loading = AutoModelForCausalLM.from_pretrained(str(info.path.parent), gguf_file=info.path.name,
                                                          dtype=torch.float32, output_loading_info=True)
    missing = sorted(loading.get("missing_keys") or ())
    if missing:  # never a silent random init
        raise ModelError(f"{info.path}: transformers found no tensor for {missing[0]!r} (and {len(missing) - 1} "
                         f"more) of its {info.architecture} model; the file is incomplete or a variant it cannot read")
    return model.eval()


@contextmanager
def _explained(info: GGUFInfo):
    """transformers kept quiet (its loading bars too; the dequantising bar stays: it is the slow part), and any
    failure turned into one line naming the file."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    except ModelError:
        raise
    except Exception as e:  # noqa: BLE001 - ValueError, NotImplementedError, KeyError, OSError, ... from the readers
        reason = " ".join(str(e).split())[:200] or type(e).__name__
        if "not supported" in reason:
            raise ModelError(_unsupported(info, reason)) from None
        raise ModelError(f"cannot convert {info.path} ({info.architecture}, {info.quantization}): {reason}") from None
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def _iitbench_version() -> str:
    from iitbench import __version__

    return __version__


__all__ = ["Converted", "FORMAT", "PROVENANCE_FILE", "convert_gguf", "convert_if_gguf", "models_dir",
           "read_provenance", "target_folder"]
