"""Weight interpolation between an MLLM's LLM and the base LLM it was trained from: a remedy that needs no training.

    merge_models(model, base, alpha, out) -> MergeResult      (`iitbench merge --model M --base B --alpha A --out DIR`)

For every tensor of the MLLM's language model (embeddings, decoder layers, final norm, LM head):
theta = alpha * theta_mllm + (1 - alpha) * theta_base, computed in float32 and stored in the MLLM's dtype. The vision
tower, the projector and (WINGS) the learners and router are the MLLM's, untouched. alpha = 1 gives the MLLM back
bit for bit; alpha = 0 gives the base LLM with the MLLM's projector (and learners, which still act on text: a WINGS
model at alpha 0 is not its base on text-only input, a LLaVA-style one is). Moving an MLLM's LLM back toward its base
is the most common forgetting remedy in recent work (e.g. arXiv:2412.03467, cited by the issue that asked for this).
alpha is refused outside [0, 1]: extrapolation is a different method (task arithmetic) with its own checks.

The output is a `wings:` checkpoint: the MLLM's config, tokenizer and processor files, the merged weights
(safetensors), and `iitbench-merge.json` with the provenance (alpha, both inputs' paths and fingerprints, tensor
counts). Written into a temporary folder and renamed into place, so a killed merge leaves no half-written output;
rerunning with the same inputs and alpha is a no-op.

Both models must have the same architecture and vocabulary (the LLM the MLLM was built on); otherwise one line names
both and what differs.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from iitbench.errors import ModelError, UserError

PROVENANCE_FILE = "iitbench-merge.json"
WEIGHTS_FILE = "model.safetensors"
# Parts of a wings_ref checkpoint that are not the LLM: they are kept from the MLLM.
NOT_LLM = ("vision_tower", "mm_projector", "attn_pool", "attn_t_pool", "reweight_module")
# What must agree between the MLLM's text config and the base's for the tensors to mean the same thing.
ARCH_KEYS = ("model_type", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
             "intermediate_size", "vocab_size", "tie_word_embeddings")
# Files of the MLLM that are not copied (weights are rewritten; a zoo card describes the MLLM's training, not this).
SKIPPED_FILES = ("zoo_card.json", PROVENANCE_FILE, "model.safetensors.index.json")


@dataclass(frozen=True)
class MergeResult:
    out: Path
    provenance: dict[str, Any]
    reused: bool


def is_llm_key(key: str) -> bool:
    return not any(part in NOT_LLM for part in key.split("."))


def check_alpha(alpha: Any) -> float:
    try:
        value = float(alpha)
    except (TypeError, ValueError):
        raise UserError(f"--alpha {alpha!r}: give a number in [0, 1] (1 = the MLLM, 0 = the base LLM)") from None
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise UserError(f"--alpha {alpha}: outside [0, 1]; interpolation only (1 = the MLLM, 0 = the base LLM), "
                        "extrapolation is not supported")
    return value


def resolve_mllm(spec: str) -> Path:
    """`wings:DIR`, a shipped zoo MLLM name (llava-tiny, wings-tiny) or a checkpoint directory."""
    from iitbench.zoo import WEIGHTS_DIR

    path = Path(spec.removeprefix("wings:"))
    if not spec.startswith("wings:") and not path.exists() and (WEIGHTS_DIR / spec / "config.json").is_file():
        path = WEIGHTS_DIR / spec
    config = _read_config(path, "--model")
    if config.get("model_type") != "wings":
        raise UserError(f"--model {spec}: {path} is not a wings_ref checkpoint (model_type "
                        f"{config.get('model_type')!r}); give the MLLM (wings:DIR, llava-tiny, wings-tiny)")
    return path


def resolve_base(spec: str) -> Path:
    """`smollm2-135m`, a shipped zoo LLM (base-tiny), `hf-causal:DIR` or a directory of a causal LM."""
    from iitbench.zoo import WEIGHTS_DIR

    if spec == "smollm2-135m":
        from iitbench.models.smollm2 import ensure_smollm2

        return ensure_smollm2().folder
    path = Path(spec.removeprefix("hf-causal:"))
    if not spec.startswith("hf-causal:") and not path.exists() and (WEIGHTS_DIR / spec / "config.json").is_file():
        path = WEIGHTS_DIR / spec
    _read_config(path, "--base")
    return path


def _read_config(path: Path, flag: str) -> dict[str, Any]:
    try:
        return json.loads((path / "config.json").read_text(encoding="utf-8"))
    except OSError:
        raise UserError(f"{flag} {path}: no config.json there; give a checkpoint directory") from None
    except ValueError as exc:
        raise UserError(f"{flag} {path}/config.json: not valid JSON ({exc})") from None


def _describe(config: dict[str, Any]) -> str:
    return (f"{config.get('model_type')}, {config.get('num_hidden_layers')} layers, "
            f"hidden {config.get('hidden_size')}, vocabulary {config.get('vocab_size')}")


def check_compatible(mllm: Path, base: Path) -> None:
    """The MLLM's LLM and the base must be the same architecture with the same vocabulary (one line naming both)."""
    text = dict(_read_config(mllm, "--model").get("text_config") or {})
    other = _read_config(base, "--base")
    text.setdefault("tie_word_embeddings", False)
    other.setdefault("tie_word_embeddings", False)
    differ = [k for k in ARCH_KEYS if text.get(k) != other.get(k)]
    if differ:
        what = "vocabularies" if differ == ["vocab_size"] else "architectures"
        raise UserError(f"cannot merge {mllm} ({_describe(text)}) with {base} ({_describe(other)}): different {what} "
                        f"({', '.join(differ)}); the base must be the LLM the MLLM was trained from")


def _tensors(directory: Path, flag: str) -> dict[str, torch.Tensor]:
    from wings_ref.errors import CheckpointError
    from wings_ref.shards import find_shards, iter_shards

    try:
        shards = find_shards(directory)
        return {k: v for _, part in iter_shards(shards) for k, v in part.items()}
    except CheckpointError as exc:
        raise ModelError(f"{flag}: {exc}") from None


def interpolate(mllm_state: dict[str, torch.Tensor], base_state: dict[str, torch.Tensor], alpha: float,
                names: tuple[Path, Path]) -> tuple[dict[str, torch.Tensor], int]:
    """The merged state and the number of LLM tensors interpolated."""
    out, merged = {}, 0
    for key, value in mllm_state.items():
        if not is_llm_key(key):
            out[key] = value
            continue
        other = base_state.get(key)
        if other is None and key == "lm_head.weight":  # a tied base stores its head as the embedding
            other = base_state.get("model.embed_tokens.weight")
        if other is None or tuple(other.shape) != tuple(value.shape):
            found = "missing" if other is None else f"shape {tuple(other.shape)}"
            raise UserError(f"cannot merge {names[0]} with {names[1]}: LLM tensor {key} {tuple(value.shape)} is "
                            f"{found} in the base; the base must be the LLM the MLLM was trained from")
        mixed = alpha * value.float() + (1.0 - alpha) * other.float()
        out[key] = mixed.to(value.dtype).contiguous()
        merged += 1
    return out, merged


def _fingerprint(path: Path) -> str | None:
    from iitbench.models.hf_common import fingerprint_files

    return fingerprint_files(path)


def merge_models(model: str | Path, base: str | Path, alpha: Any, out: str | Path) -> MergeResult:
    """Write `out`: `model`'s MLLM with its LLM interpolated toward `base` at `alpha` (see the module docstring)."""
    from safetensors.torch import save_file

    from iitbench import __version__
    from iitbench.runner.outputs import check_output

    alpha = check_alpha(alpha)
    mllm_dir, base_dir = resolve_mllm(str(model)), resolve_base(str(base))
    out = check_output(Path(out), "merge", flag="--out")
    check_compatible(mllm_dir, base_dir)
    provenance = {
        "method": "linear interpolation of the LLM weights: alpha * mllm + (1 - alpha) * base",
        "alpha": alpha,
        "mllm": {"path": str(mllm_dir.resolve()), "fingerprint": _fingerprint(mllm_dir)},
        "base": {"spec": str(base), "path": str(base_dir.resolve()), "fingerprint": _fingerprint(base_dir)},
        "kept_from_mllm": list(NOT_LLM),
        "iitbench_version": __version__,
    }
    done = _finished(out)
    if done is not None and _same_inputs(done, provenance) and (out / WEIGHTS_FILE).is_file():
        return MergeResult(out, done, True)
    if out.exists() and any(out.iterdir()):
        raise UserError(f"--out {out}: not empty and not this merge's output; choose an empty or new directory")
    state, n = interpolate(_tensors(mllm_dir, "--model"), _tensors(base_dir, "--base"), alpha, (mllm_dir, base_dir))
    provenance["tensors"] = {"interpolated": n, "kept": len(state) - n}
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for item in sorted(mllm_dir.iterdir()):
        if item.is_file() and item.name not in SKIPPED_FILES and not item.name.endswith(".safetensors"):
            shutil.copy2(item, tmp / item.name)
    save_file(state, str(tmp / WEIGHTS_FILE), metadata={"format": "pt"})
    (tmp / PROVENANCE_FILE).write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if out.exists():
        out.rmdir()  # empty (checked above)
    os.replace(tmp, out)
    return MergeResult(out, provenance, False)


def _finished(out: Path) -> dict[str, Any] | None:
    try:
        return json.loads((out / PROVENANCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _same_inputs(done: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return (done.get("alpha") == wanted["alpha"]
            and done.get("mllm", {}).get("fingerprint") == wanted["mllm"]["fingerprint"]
            and done.get("base", {}).get("fingerprint") == wanted["base"]["fingerprint"])


__all__ = ["MergeResult", "PROVENANCE_FILE", "check_alpha", "check_compatible", "interpolate", "is_llm_key",
           "merge_models", "resolve_base", "resolve_mllm"]
