"""Where an adapter's weights go (`--model-args device_map=... offload_folder=... dtype=...`, shared by `hf-causal:`,
`hf:` and `wings:`): one device after a memory check, or spread by accelerate over GPUs, CPU memory and disk.

A model larger than one device loads with `device_map=auto` (or balanced / balanced_low_0 / sequential, or a JSON
file {module name: device}, "disk" meaning `offload_folder`); its inputs then go where its token embedding runs.
Without a map, a local checkpoint whose weights exceed the device's free memory is refused in one line before
anything is allocated (the sizes come from the safetensors headers). Under torchrun each process holds a whole model
on its own GPU (data parallel), so a map that would spread every rank over every GPU is refused.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from iitbench.errors import ModelError

STRATEGIES = ("auto", "balanced", "balanced_low_0", "sequential")  # accelerate's / transformers' names
IN_MEMORY = "<in-memory>"  # `path` of an adapter built around a live model (`from_model`): no directory to hash


def parse_device_map(device_map: str | dict | None) -> str | dict | None:
    """A strategy name, or a JSON file (or dict) {module name: device} with devices "cuda:0", "cpu", "disk"."""
    if device_map is None or device_map in STRATEGIES:
        return device_map
    if isinstance(device_map, dict):
        return device_map
    file = Path(str(device_map)).expanduser()
    if file.suffix == ".json" and file.is_file():
        try:
            loaded = json.loads(file.read_text(encoding="utf-8"))
        except ValueError as e:
            raise ModelError(f"--model-args device_map={device_map}: not valid JSON ({e})") from None
        if isinstance(loaded, dict) and all(isinstance(k, str) for k in loaded):
            return loaded
        raise ModelError(f"--model-args device_map={device_map}: the file must hold an object {{module: device}}")
    raise ModelError(f"--model-args device_map={device_map!r}: use one of {', '.join(STRATEGIES)} or a .json "
                     "file that maps module names to devices")


def check_world(device_map: Any) -> None:
    """Refuse a device map in a data-parallel (torchrun) run: there each rank holds a whole model on its GPU."""
    if device_map is not None and int(os.environ.get("WORLD_SIZE", "1") or 1) > 1:
        raise ModelError("--model-args device_map: under torchrun each process holds the whole model on its own GPU; "
                         "drop device_map (data parallel) or run one process with device_map=auto (model parallel)")


def check_fits_local(directory: Path | None, dtype: Any, device: str) -> None:
    """One-line refusal before loading when a local checkpoint's weights cannot fit `device` (no map given)."""
    if directory is None or not directory.is_dir() or not any(directory.glob("*.safetensors")):
        return  # a hub id not cached, or pickle weights: transformers will say what is wrong
    from wings_ref.errors import CheckpointError
    from wings_ref.placement import check_fits, weight_bytes
    from wings_ref.shards import find_shards

    try:
        shards = find_shards(directory)
        check_fits(weight_bytes((math.prod(t.shape) for t in shards.tensors.values()), dtype), device, dtype,
                   str(directory))
    except CheckpointError as e:
        raise ModelError(str(e)) from None


def load_placement(device_map: Any, offload_folder: str | None, device: str) -> dict[str, Any]:
    """from_pretrained's placement arguments: the map (with its offload folder), else the single device."""
    if device_map is not None:
        return {"device_map": device_map, **({"offload_folder": offload_folder} if offload_folder else {})}
    if offload_folder:
        raise ModelError("--model-args offload_folder: only used with device_map (the modules mapped to 'disk')")
    return {"device_map": device if device != "cpu" else None}


def input_device(model: Any) -> str:
    """Where inputs go: the device its token embedding runs on (with offload hooks, their execution device)."""
    from wings_ref.placement import input_device as embed_device

    return str(embed_device(model))


__all__ = ["IN_MEMORY", "STRATEGIES", "check_fits_local", "check_world", "input_device", "load_placement", "parse_device_map"]
