"""The router's input computed inside the main attention call (one SDPA, no second QKᵀ, no stored probabilities).

The router needs R[b, q] = Σ_h Σ_k P_h[b, q, k] · W[:, pos(k)] (P_h = head h's main attention probabilities, W = the
router linear's weight, columns picked by each key's true position). Σ_k P_h·Wᵀ is attention with values = the
router columns of the keys, so every (kv-)head's value tensor gets the 2 columns appended and one SDPA returns both
the normal attention output (first head_dim channels) and P_h·Wᵀ (next 2 channels), summed over heads afterwards.

Kernel note: torch's fused CPU/GPU flash kernels need q, k and v of one head size, so q and k are zero-padded too
(zeros add nothing to q·kᵀ; the softmax scale stays 1/√head_dim) and the common size is rounded up to a multiple of 8.

Registered as attention implementation `FUSED_ATTENTION` in transformers' AttentionInterface, with `sdpa_mask` under
the same name in AttentionMaskInterface (a custom attention name with no mask function silently gets no mask).
`WingsDecoderLayer` switches a routed layer's attention to it only for the call that has an image in the batch.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn
from transformers import AttentionInterface, PreTrainedConfig
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

FUSED_ATTENTION = "wings_router_sdpa"
ROUTER_COLUMNS = 2  # (visual, textual) logits


def router_fused_attention(module: nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                           attention_mask: torch.Tensor | None, dropout: float = 0.0, scaling: float | None = None,
                           wings_router_columns: torch.Tensor | None = None, **kwargs):
    """SDPA attention that also returns Σ_h P_h·columns.

    query [B, H, Lq, d], key/value [B, Hkv, Lk, d] (after the cache update), wings_router_columns [B, Lk, 2] (the
    router weight's columns at every key's true position). Returns (attention output [B, Lq, H, d], router input
    [B, Lq, 2] without the bias). Without columns it is plain `sdpa` and returns (output, None).
    """
    if wings_router_columns is None:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      **kwargs)
    head_dim = query.shape[-1]
    width = -(-(head_dim + ROUTER_COLUMNS) // 8) * 8
    columns = wings_router_columns.to(value.dtype)[:, None].expand(-1, value.shape[1], -1, -1)
    filler = value.new_zeros(*value.shape[:3], width - head_dim - ROUTER_COLUMNS)
    value = torch.cat([value, columns, filler], -1)
    query, key = F.pad(query, (0, width - head_dim)), F.pad(key, (0, width - head_dim))
    scaling = head_dim**-0.5 if scaling is None else scaling  # the padded width must not change the scale
    out, _ = sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                    **kwargs)  # [B, Lq, H, width]
    router_input = out[..., head_dim:head_dim + ROUTER_COLUMNS].sum(2)
    return out[..., :head_dim], router_input


AttentionInterface.register(FUSED_ATTENTION, router_fused_attention)
AttentionMaskInterface.register(FUSED_ATTENTION, sdpa_mask)


def fused_config(config: PreTrainedConfig) -> PreTrainedConfig:
    """A shallow copy of the backbone config whose attention implementation is the fused router attention."""
    fused = copy.copy(config)
    fused._attn_implementation = FUSED_ATTENTION
    return fused


@contextmanager
def attention_config(module: nn.Module, config: PreTrainedConfig) -> Iterator[None]:
    """Run `module` (an HF attention module) with another config for one call; HF dispatches on config's name."""
    original = module.config
    module.config = config
    try:
        yield
    finally:
        module.config = original


__all__ = ["FUSED_ATTENTION", "router_fused_attention", "fused_config", "attention_config"]
