"""The attention-interface backend: exact per-layer column masses while the model itself keeps using sdpa.

`laws_sdpa` (registered in transformers' `AttentionInterface`, with `sdpa_mask` registered under the same name in
`AttentionMaskInterface` - without it the function would silently get no mask) returns the output of the model's
own attention function unchanged and, for the language model's layers only, adds the column sums of the softmax
probabilities, one query block at a time, using the very mask the model built (padding, sliding windows, Gemma3's
bidirectional image blocks). Models loaded with `eager` get `laws_eager` (eager output, eager's additive mask).
`attention_interface(model, mass)` switches the language model to it for one forward and back.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from iitbench.errors import ModelError
from iitbench.laws.collect import ColumnMass

_ACTIVE: contextvars.ContextVar[tuple[ColumnMass, dict[int, int]] | None] = contextvars.ContextVar(
    "iitbench_laws_active", default=None)
NAMES = {"sdpa": "laws_sdpa", "eager": "laws_eager"}


def _make(base_name: str):
    def attention(module, query, key, value, attention_mask, dropout: float = 0.0, scaling: float | None = None,
                  is_causal: bool | None = None, **kwargs):
        from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

        out = ALL_ATTENTION_FUNCTIONS[base_name](module, query, key, value, attention_mask, dropout=dropout,
                                                 scaling=scaling, is_causal=is_causal, **kwargs)
        active = _ACTIVE.get()
        if active is not None and id(module) in active[1]:
            if kwargs.get("s_aux") is not None or kwargs.get("softcap") is not None:
                raise ModelError("LAWS: attention sinks / logit soft-capping are not supported by the attention-"
                                 "interface backend; use --backend eager")
            causal = attention_mask is None and (is_causal if is_causal is not None
                                                 else query.shape[2] > 1 and getattr(module, "is_causal", True))
            active[0].add_blocks(active[1][id(module)], query, key, attention_mask,
                                 scaling if scaling is not None else query.shape[-1] ** -0.5, causal)
        return out

    return attention


def register() -> None:
    """Register `laws_sdpa` / `laws_eager` and their mask functions (idempotent)."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, eager_mask, sdpa_mask

    for base, name in NAMES.items():
        AttentionInterface.register(name, _make(base))
        AttentionMaskInterface.register(name, sdpa_mask if base == "sdpa" else eager_mask)


def text_attention_modules(model) -> dict[int, Any]:
    """The language model's self-attention modules by layer index (vision-tower attention is left out)."""
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    n_layers = int(config.num_hidden_layers)
    found: dict[int, Any] = {}
    for name, module in model.named_modules():
        if not isinstance(getattr(module, "layer_idx", None), int) or not hasattr(module, "q_proj"):
            continue
        if any(part in name for part in ("vision", "visual")):
            continue
        if module.layer_idx in found:
            raise ModelError(f"LAWS: two attention modules claim layer {module.layer_idx} ({name})")
        found[module.layer_idx] = module
    if sorted(found) != list(range(n_layers)):
        raise ModelError(f"LAWS: found attention modules for layers {sorted(found)} but the text config has "
                         f"{n_layers} layers; this model does not expose its attention to iitbench")
    return found


@contextlib.contextmanager
def switched_attention(model, implementation: Any) -> Iterator[dict[int, Any]]:
    """Temporarily set the language model's attention implementation (a name or a function of the original
    name); yields its attention modules by layer. Restored even on errors."""
    modules = text_attention_modules(model)
    configs = {id(c): c for c in [m.config for m in modules.values() if hasattr(m, "config")]}
    text = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    configs[id(text)] = text
    for sub in model.modules():  # the language model's own config builds the masks
        cfg = getattr(sub, "config", None)
        if cfg is not None and getattr(cfg, "num_hidden_layers", None) == text.num_hidden_layers and \
                getattr(cfg, "hidden_size", None) == text.hidden_size:
            configs[id(cfg)] = cfg
    saved = {k: c._attn_implementation_internal for k, c in configs.items()}
    try:
        for k, c in configs.items():
            c._attn_implementation_internal = implementation(saved[k]) if callable(implementation) else implementation
        yield modules
    finally:
        for k, c in configs.items():
            c._attn_implementation_internal = saved[k]


def interface_forward(model, inputs: dict[str, Any], mass: ColumnMass) -> Any:
    """One forward pass with `laws_*` attention on the language model; returns the model's output."""
    register()
    with switched_attention(model, lambda original: NAMES.get(original or "sdpa", "laws_sdpa")) as modules:
        token = _ACTIVE.set((mass, {id(m): i for i, m in modules.items()}))
        try:
            return model(**inputs)
        finally:
            _ACTIVE.reset(token)
