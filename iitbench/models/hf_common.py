"""Helpers shared by the Hugging Face adapters (`hf-causal`, `hf`): device and dtype choice, where the files come
from (a local `save_pretrained` directory or a hub id in the local cache), one-line load errors and the weights
fingerprint."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from iitbench.errors import ModelError

DEVICES = ("cpu", "cuda", "auto")
DTYPES = ("auto", "float32", "bfloat16", "float16")
FULL_HASH_LIMIT = 1 << 30  # files below 1 GiB are hashed in full
EDGE_BYTES = 16 << 20  # larger files: size + first and last 16 MiB (hashing 15 GB of weights per run is too slow)
_CHUNK = 1 << 20

# Files that define a model's behaviour; everything else in a snapshot (README, images) is ignored.
FINGERPRINT_NAMES = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                     "special_tokens_map.json", "added_tokens.json", "vocab.json", "merges.txt", "tokenizer.model",
                     "chat_template.jinja", "chat_template.json", "preprocessor_config.json", "processor_config.json")
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".safetensors.index.json", ".bin.index.json")

T = TypeVar("T")


def resolve_device(device: str) -> str:
    """`auto` = cuda when available, else cpu."""
    import torch

    if device not in DEVICES:
        raise ModelError(f"--model-args device={device!r}: use one of {', '.join(DEVICES)}")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ModelError("--model-args device=cuda: no CUDA device is visible; use device=cpu or device=auto")
    return device


def resolve_dtype(dtype: str, device: str):
    """`auto` = float32 on CPU (bf16 matmuls are slow and lossy there), bfloat16 on a GPU that has it, else float16."""
    import torch

    if dtype not in DTYPES:
        raise ModelError(f"--model-args dtype={dtype!r}: use one of {', '.join(DTYPES)}")
    if dtype == "auto":
        if device == "cpu":
            return torch.float32
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return getattr(torch, dtype)


def looks_local(path: str) -> bool:
    """A path rather than a hub id: exists, or is written like a path (absolute, ./, ../, ~, or a Windows drive)."""
    return (Path(path).expanduser().exists() or path.startswith((".", "/", "~", "\\"))
            or (len(path) > 1 and path[1] == ":") or path.count("/") > 1)


def check_source(path: str | os.PathLike) -> str:
    """Validate a local directory early (one-line errors); hub ids pass through unchanged."""
    path = str(path)
    if not path:
        raise ModelError("model path is empty; write hf-causal:DIR with a save_pretrained directory or a hub id")
    if not looks_local(path):
        return path
    p = Path(path).expanduser()
    if not p.exists():
        raise ModelError(f"model directory {path} does not exist; pass a save_pretrained directory (with config.json)")
    if not p.is_dir() or not (p / "config.json").is_file():
        raise ModelError(f"{path} has no config.json; pass the directory written by save_pretrained")
    return str(p)


def hub_offline() -> bool:
    return any(os.environ.get(k, "").lower() in ("1", "true", "yes", "on") for k in ("HF_HUB_OFFLINE",
                                                                                    "TRANSFORMERS_OFFLINE"))


def load_or_explain(what: str, path: str, loader: Callable[[], T]) -> T:
    """Run a `from_pretrained` call; turn any failure into a ModelError naming the path and the fix. transformers'
    own warnings are kept quiet meanwhile, so a failure is one line (what they would say is checked here)."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()  # its "Loading weights" bar is not ours to show
    try:
        return loader()
    except ModelError:
        raise
    except Exception as e:  # noqa: BLE001 - transformers raises OSError, ValueError, KeyError, ... for bad files
        reason = " ".join(str(e).split())[:300] or type(e).__name__
        if not looks_local(path):
            where = ("the hub is unreachable (offline mode)" if hub_offline()
                     else "it is not in the local HF cache and could not be downloaded")
            raise ModelError(f"cannot load the {what} of hub id {path!r}: {where}; download it first or pass a "
                             f"local directory, e.g. hf-causal:/path/to/model ({reason})") from None
        raise ModelError(f"cannot load the {what} from {path}: {reason}; check that the directory is a complete "
                         f"save_pretrained output (pass trust_remote_code=true only for models that need it)") from None
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def local_dir(path: str, revision: str | None = None) -> Path | None:
    """The directory holding the files: `path` itself, or the cached snapshot of a hub id (never downloads)."""
    if looks_local(path):
        return Path(path).expanduser()
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(path, revision=revision, local_files_only=True))
    except Exception:  # noqa: BLE001 - no cached snapshot: the caller falls back to hashing the tensors
        return None


def file_digest(path: Path) -> str:
    """sha256 of a file; above 1 GiB only its size and first/last 16 MiB (documented in the README)."""
    h = hashlib.sha256()
    size = path.stat().st_size
    with open(path, "rb") as f:
        if size < FULL_HASH_LIMIT:
            for block in iter(lambda: f.read(_CHUNK), b""):
                h.update(block)
        else:
            h.update(f"size={size}".encode())
            h.update(f.read(EDGE_BYTES))
            f.seek(size - EDGE_BYTES)
            h.update(f.read(EDGE_BYTES))
    return h.hexdigest()


def fingerprint_files(root: Path) -> str | None:
    """sha256 over (name, digest) of config, tokenizer and weight files, in sorted order; None if none found."""
    files = sorted(p for p in root.rglob("*") if p.is_file()
                   and (p.name in FINGERPRINT_NAMES or p.name.endswith(WEIGHT_SUFFIXES))
                   and ".cache" not in p.relative_to(root).parts)
    if not files:
        return None
    h = hashlib.sha256()
    for p in files:
        h.update(f"{p.relative_to(root).as_posix()}\0{file_digest(p)}\n".encode())
    return h.hexdigest()


def fingerprint_tensors(model: Any) -> str:
    """Fallback when no files are at hand: sha256 over every parameter's name, shape, dtype and bytes."""
    import torch

    h = hashlib.sha256()
    for name, t in sorted(model.state_dict().items()):
        h.update(f"{name}\0{tuple(t.shape)}\0{t.dtype}\n".encode())
        h.update(t.detach().to("cpu").contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def parameter_count(model: Any) -> int:
    return int(sum(p.numel() for p in model.parameters()))


class WeightsIdentity:
    """Identity of an adapter that holds HF weights: `fingerprint()` (cached) and the common `describe()` keys.

    Needs `self.path`, `self.model`, `self.dtype`, `self.device` and optionally `self.revision`.
    """

    _fingerprint: str | None = None

    def fingerprint(self) -> str:
        """sha256 over the model directory's config, tokenizer, processor and weight files (see `fingerprint_files`);
        the tensors themselves when there is no local directory."""
        if self._fingerprint is None:
            root = local_dir(self.path, getattr(self, "revision", None))
            found = fingerprint_files(root) if root is not None else None
            self._fingerprint = found or fingerprint_tensors(self.model)
        return self._fingerprint

    def weights_description(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint(),
            "parameters": parameter_count(self.model),
            "dtype": str(self.dtype).removeprefix("torch."),
            "device": self.device,
        }


TRUNCATION = ("left", "error")  # what to do with a context longer than the model's window


def check_model_args(truncation: str, max_length: Any, batch_size: Any, **flags: Any) -> None:
    """The `--model-args` checks every HF adapter shares; `flags` are booleans (trust_remote_code, ...)."""
    if truncation not in TRUNCATION:
        raise ModelError(f"--model-args truncation={truncation!r}: use left or error")
    if max_length is not None and (not isinstance(max_length, int) or max_length < 2):
        raise ModelError(f"--model-args max_length={max_length!r}: give an integer of at least 2")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ModelError(f"--model-args batch_size={batch_size!r}: give a positive integer")
    for flag, value in flags.items():
        if not isinstance(value, bool):
            raise ModelError(f"--model-args {flag}={value!r}: write true or false")


PICKLE_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json")


def load_weights(auto_cls: Any, path: str, dtype: Any, device: str, revision: str | None,
                 trust_remote_code: bool, allow_pickle: bool = False, device_map: Any = None,
                 offload_folder: str | None = None) -> Any:
    """`auto_cls.from_pretrained` in eval mode, placed on `device` (after a memory check) or spread by `device_map`
    (iitbench/models/placement.py), failures as one-line ModelErrors.

    The project's rule for weights: safetensors only, unless the user opts in with `allow_pickle=true`; then pickle
    files load through torch's `weights_only` unpickler (transformers' default), which refuses code payloads. Weights
    the architecture needs but the files lack are an error, never a silent random init."""
    from iitbench.models.placement import check_fits_local, check_world, load_placement

    check_world(device_map)
    placed = load_placement(device_map, offload_folder, device)
    if device_map is None:
        check_fits_local(local_dir(path, revision), dtype, device)
    local = Path(path).expanduser() if looks_local(path) else None
    if local is not None and not allow_pickle and not any(local.glob("*.safetensors")):
        pickles = [name for name in PICKLE_WEIGHTS if (local / name).is_file()]
        if pickles:
            raise ModelError(f"{local}: only pickle weights ({pickles[0]}); pass --model-args allow_pickle=true to "
                             "load them with torch's weights_only loader, or convert them to safetensors")
    model, info = load_or_explain("model", path, lambda: auto_cls.from_pretrained(
        path, dtype=dtype, use_safetensors=None if allow_pickle else True, output_loading_info=True,
        revision=revision, trust_remote_code=trust_remote_code, **placed))
    missing = sorted(info.get("missing_keys") or ())
    if missing:
        raise ModelError(f"cannot load the model from {path}: the weights lack {missing[0]!r} (and "
                         f"{len(missing) - 1} more); the checkpoint does not match its config.json")
    if device == "cpu" and device_map is None:  # with a device map the weights are already in place
        model.to(device)
    return model.eval()


def eos_ids(tokenizer: Any, *sources: Any) -> list[int]:
    """Token ids that end generation: the tokenizer's eos plus each source's `eos_token_id` (int or list; a source
    may be a generation config, a model config, or None)."""
    ids = {tokenizer.eos_token_id}
    for source in sources:
        value = getattr(source, "eos_token_id", None)
        ids.update(value if isinstance(value, (list, tuple)) else [value])
    return sorted(i for i in ids if isinstance(i, int))


def config_window(model: Any, default: int, tokenizer: Any = None) -> int:
    """The model's context window from its (text) config; else the tokenizer's model_max_length when sane; else
    `default`."""
    config = model.config
    text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
    for key in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(text_config, key, None)
        if isinstance(value, int) and value > 1:
            return value
    limit = getattr(tokenizer, "model_max_length", None) if tokenizer is not None else None
    return limit if isinstance(limit, int) and 1 < limit < 1_000_000 else default
