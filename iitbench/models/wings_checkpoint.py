"""Where the released WINGS weights are and which key layout a checkpoint directory uses (for the `wings` adapter).

`cached_snapshot()` finds AIDC-AI/Wings-Qwen1_5-8B in the local HF cache (never downloads); `is_official_layout`
reads only tensor names (index json or safetensors headers), so deciding how to load costs no weight reads.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

from iitbench.errors import ModelError
from iitbench.models import hf_common as hc

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


__all__ = ["HUB_ID", "OFFICIAL_KEY_MARK", "cached_snapshot", "checkpoint_keys", "is_official_layout"]
