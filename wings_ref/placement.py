"""Where a WINGS model's weights go: a memory estimate, a one-line refusal before loading what cannot fit, and the
device that takes the inputs of a model spread over devices.

The released Wings-Qwen1_5-8B holds ≈ 8.3 B parameters (Qwen1.5-7B, SigLIP-so400m minus its last layer, projector,
learners and routers in all 32 layers): ≈ 16.5 GB in bf16, ≈ 33 GB in fp32 — weights alone, before activations and
the KV cache. One large GPU holds it in bf16; otherwise `device_map="auto"` (transformers + accelerate) spreads the
decoder layers over every GPU, then CPU memory, then disk (`offload_folder`). Every module of wings_ref reads its
weights inside its own forward, so accelerate's offload hooks see each use (see `RouterLinear`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch

from .errors import CheckpointError

GIB = 1024**3
MAP_STRATEGIES = ("auto", "balanced", "balanced_low_0", "sequential")


def weight_bytes(numels: Iterable[int], dtype: torch.dtype) -> int:
    """Bytes the weights take in `dtype` (every tensor cast to it, as loading does)."""
    return sum(numels) * torch.empty((), dtype=dtype).element_size()


def free_bytes(device: str | torch.device) -> int | None:
    """Free memory on `device` now (CUDA: the driver's free count; CPU: MemAvailable); None when unknown."""
    device = torch.device(device)
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    if device.type == "cpu":
        meminfo = Path("/proc/meminfo")
        if meminfo.is_file():
            for line in meminfo.read_text().splitlines():
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    return None


def check_fits(need: int, device: str | torch.device, dtype: torch.dtype, what: str,
               free: int | None = None) -> None:
    """Raise CheckpointError (one line, before anything is allocated) when `need` bytes of weights cannot fit."""
    free = free_bytes(device) if free is None else free
    if free is not None and need > free:
        raise CheckpointError(
            f"{what}: its weights need {need / GIB:.1f} GiB in {str(dtype).removeprefix('torch.')} but {device} has "
            f"{free / GIB:.1f} GiB free; pass device_map=auto (layers spread over the GPUs, then CPU memory; add "
            f"offload_folder=DIR for disk) or a smaller dtype (bfloat16)")


def check_device_map(device_map) -> None:
    """A strategy name or a {module name: device} dict, as transformers' from_pretrained takes."""
    if isinstance(device_map, str) and device_map not in MAP_STRATEGIES:
        raise CheckpointError(f"device_map={device_map!r}: use one of {', '.join(MAP_STRATEGIES)} or a dict "
                              "{module name: device}")
    if not isinstance(device_map, (str, dict)):
        raise CheckpointError(f"device_map={device_map!r}: use one of {', '.join(MAP_STRATEGIES)} or a dict")


def input_device(model: torch.nn.Module) -> torch.device:
    """Where a model's inputs go: the execution device of its token embedding (with offload, the GPU that runs it)."""
    embed = model.get_input_embeddings()
    hook = getattr(embed, "_hf_hook", None)
    execution = getattr(hook, "execution_device", None)
    if execution is not None:
        return torch.device(execution if not isinstance(execution, int) else f"cuda:{execution}")
    return embed.weight.device


__all__ = ["GIB", "MAP_STRATEGIES", "weight_bytes", "free_bytes", "check_fits", "check_device_map", "input_device"]
