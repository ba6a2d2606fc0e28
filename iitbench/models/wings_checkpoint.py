"""A WINGS checkpoint for the `wings` adapters: where the released weights are, which key layout a directory uses,
and loading it where it fits.

`cached_snapshot()` finds AIDC-AI/Wings-Qwen1_5-8B in the local HF cache (never downloads); `is_official_layout`
reads only tensor names (index json or safetensors headers), so deciding how to load costs no weight reads.
`load_wings` checks the memory before loading (one-line error) or, with `device_map`, lets accelerate spread the
model over GPUs, CPU memory and disk (wings_ref/placement.py).
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

from iitbench.errors import ModelError
from iitbench.models import hf_common as hc
from iitbench.models.placement import parse_device_map

HUB_ID = "AIDC-AI/Wings-Qwen1_5-8B"
OFFICIAL_KEY_MARK = "vision_tower.vision_tower."  # the released layout nests the tower; wings_ref's does not


def cached_snapshot() -> str:
    """The local HF-cache snapshot of the released weights (never downloads); a one-line ModelError without one."""
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(HUB_ID, local_files_only=True)
    except Exception:  # noqa: BLE001 - LocalEntryNotFoundError, offline mode, missing package: same fix
        where = "the hub is offline" if hc.hub_offline() else "they are not in the local HF cache"
        raise ModelError(f"wings-base: no weights for {HUB_ID} ({where}); download them with `huggingface-cli "
                         f"download {HUB_ID}` or pass --model-args path=DIR") from None


def is_official_layout(directory: Path) -> bool:
    """Whether a checkpoint uses the released key names (read from the index json or the safetensors headers)."""
    return any(OFFICIAL_KEY_MARK in key for key in checkpoint_keys(directory))


def checkpoint_keys(directory: Path) -> list[str]:
    keys: list[str] = []
    for index in sorted(directory.glob("*.safetensors.index.json")):
        keys.extend(json.loads(index.read_text(encoding="utf-8")).get("weight_map", {}))
    if keys:
        return keys
    for shard in sorted(directory.glob("*.safetensors")):
        with open(shard, "rb") as f:  # header: 8-byte little-endian length, then a JSON object keyed by tensor name
            (size,) = struct.unpack("<Q", f.read(8))
            keys.extend(k for k in json.loads(f.read(size)) if k != "__metadata__")
    return keys


def load_wings(path: str, mode: str | None, dtype, device: str, device_map=None, offload_folder: str | None = None):
    """A WingsForConditionalGeneration in eval mode, from the released layout (wings_ref.official) or a wings_ref
    checkpoint (`from_pretrained`, safetensors only). Without `device_map` it lands on `device` after a memory check."""
    from wings_ref import WingsConfig, WingsForConditionalGeneration

    local = Path(path).expanduser()
    if local.is_dir() and is_official_layout(local):  # the released key names: wings_ref's official loader
        def load_released():
            from wings_ref.official import load_official

            placed = {"device_map": device_map, "offload_folder": offload_folder} if device_map is not None else {}
            return load_official(path, mode=mode or "official", dtype=dtype, device=device, **placed)

        return hc.load_or_explain("official WINGS checkpoint", path, load_released)

    def load():
        from wings_ref.placement import check_fits, weight_bytes
        from wings_ref.shards import find_shards

        config = WingsConfig.from_pretrained(path)
        if mode is not None:
            config.mode = mode
        if device_map is None and local.is_dir():
            shards = find_shards(local)
            check_fits(weight_bytes((math.prod(t.shape) for t in shards.tensors.values()), dtype), device, dtype,
                       str(local))
        placed = {"device_map": device_map, "offload_folder": offload_folder} if device_map is not None else {}
        model, info = WingsForConditionalGeneration.from_pretrained(
            path, config=config, dtype=dtype, use_safetensors=True, output_loading_info=True, **placed)
        if info["missing_keys"]:  # transformers would leave them randomly initialised
            missing = sorted(info["missing_keys"])
            raise ModelError(f"cannot load the WINGS model from {path}: the weights lack {missing[0]!r} (and "
                             f"{len(missing) - 1} more); check use_learners/learner_layers in its config.json")
        return model

    model = hc.load_or_explain("WINGS model", path, load)
    if device_map is None:
        model = model.to(device=device, dtype=dtype)
    return model.eval()


__all__ = ["HUB_ID", "OFFICIAL_KEY_MARK", "cached_snapshot", "checkpoint_keys", "is_official_layout", "load_wings",
           "parse_device_map"]
