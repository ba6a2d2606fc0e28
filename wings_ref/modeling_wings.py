"""WINGS (Zhang et al., NeurIPS 2024) on top of the HF Qwen2 / Llama decoder, read top to bottom.

    image -> SigLIP -> projector -> replaces the <image> placeholders in the input embeddings
    every decoder layer:  h = x + SelfAttn(norm(x))
                          h = h + w_vis * VisualLearner(h) + w_txt * TextualLearner(h)   (learner layers only)
                          h = h + MLP(norm(h))

Learners are LoRRA cross-attentions (below). Their key/value *sources* are the same at every layer: the projector
output (visual) and the layer-0 input text embeddings (textual); `LearnerMemory` holds them and, with a KV cache,
their per-layer projections, so generation computes them once per sequence. The router turns the main attention
probabilities (summed over heads) into per-token (w_vis, w_txt). Text-only samples: no visual learner, no router,
Δtxt added with weight 1.

Modes (config.mode):
  clean    : textual keys = the text (not the image, not the system prompt of an image sample); mask = true-position
             causal (a query at position p sees text keys at positions <= p); KV-cached generation.
  official : the released code's rules that its weights were trained with, as it runs one sample alone: its
             textual keys (`WingsModel.text_keys`), a mask comparing the key's *rank in that key list* with the query
             position, image samples adding the mixed learner output twice (2·w_vis·Δv + 2·w_txt·Δt), one image per
             sample. The rank mask lets earlier tokens see later text, so generation with an image re-runs the whole
             sequence at every step, as the released decoding does. Text-only samples are the same in both modes.
Both modes: the visual learner sees every image key of its sample (no causal mask); padding keys are masked in both
learners and in the router; a query that may see no key at all gets a zero learner output.

Diagnostics: `forward(..., output_head_summed_attentions=True)` returns, per layer, the main-branch attention
probabilities summed over heads ([B, q_len, k_len]) and, for learner layers with an image, the router weights.

Fast paths (same results): with an image in the batch and `sdpa` attention, a learner layer gets the router input
Σ_h P_h·Wᵀ from extra value channels of its one main-attention call (fused_router.py) instead of recomputing the
probabilities; the explicit recomputation (`head_summed_attention`) runs only for the diagnostics above, for
`head_summed_callback` (LAWS) and for other attention implementations. The textual learner attends over the
gathered text keys only (LearnerMemory), not over every position.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from transformers import GenerationMixin, PreTrainedConfig, PreTrainedModel, SiglipVisionModel
from transformers import initialization as init
from transformers.cache_utils import Cache, DynamicCache
from transformers.masking_utils import create_causal_mask
from transformers.modeling_layers import GradientCheckpointingLayer
from transformers.modeling_outputs import BaseModelOutputWithPast, CausalLMOutputWithPast
from transformers.models.llama.modeling_llama import LlamaDecoderLayer, LlamaRMSNorm, LlamaRotaryEmbedding
from transformers.models.qwen2.modeling_qwen2 import (
    Qwen2DecoderLayer,
    Qwen2RMSNorm,
    Qwen2RotaryEmbedding,
    repeat_kv,
    rotate_half,
)
from transformers.utils.deprecation import deprecate_kwarg

from .configuration_wings import WingsConfig
from .fused_router import attention_config, fused_config

# The HF building blocks WINGS reuses, per backbone model_type: (decoder layer, RMSNorm, rotary embedding).
BACKBONES = {
    "qwen2": (Qwen2DecoderLayer, Qwen2RMSNorm, Qwen2RotaryEmbedding),
    "llama": (LlamaDecoderLayer, LlamaRMSNorm, LlamaRotaryEmbedding),
}
ROUTER_HEAD_CHUNK = 4  # heads per step when summing attention probabilities: memory O(chunk·L²), not O(H·L²)
OFFICIAL_NO_CONTINUATION = (
    "official mode cannot extend a cached sequence that has an image: the released textual-learner mask lets earlier "
    "tokens see text added later, so the released decoding re-runs the whole sequence at every step (generate() does "
    "the same by itself); call the model with use_cache=False on the whole sequence, or use mode='clean'")


def rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate x [B, heads, L, d] with cos/sin [B, L, d] (same convention as the HF backbones)."""
    return x * cos.unsqueeze(1) + rotate_half(x) * sin.unsqueeze(1)


def low_rank(hidden: int, rank: int) -> nn.Sequential:
    """x -> x·A·B with A: hidden->rank (index 0, [r, H]) and B: rank->hidden (index 1, [H, r]); official layout."""
    down, up = nn.Linear(hidden, rank, bias=False), nn.Linear(rank, hidden, bias=False)
    down.lorra_init, up.lorra_init = "down", "up"  # read by WingsPreTrainedModel._init_weights
    return nn.Sequential(down, up)


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
    """softmax(q·kᵀ/√d)·v with a bool mask [B, Lq, Lk]; rows with no allowed key give 0 (not NaN)."""
    empty = ~allowed.any(-1, keepdim=True)  # [B, Lq, 1]
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=(allowed | empty).unsqueeze(1))
    return out.masked_fill(empty.unsqueeze(1), 0.0)


# --------------------------------------------------------------------------------------------- learners and router
class LoRRA(nn.Module):
    """Low-Rank Residual Attention: Q = h + h·A_q·B_q, K = x + x·A_k·B_k, V = x + x·A_v·B_v, out = attn·A_o·B_o.

    Multi-head with the LLM's head count/size (no GQA here). B = 0 at init, so the output starts at exactly 0.
    """

    def __init__(self, hidden: int, num_heads: int, head_dim: int, rank: int):
        super().__init__()
        self.num_heads, self.head_dim = num_heads, head_dim
        self.q_proj, self.k_proj = low_rank(hidden, rank), low_rank(hidden, rank)
        self.v_proj, self.o_proj = low_rank(hidden, rank), low_rank(hidden, rank)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(*x.shape[:2], self.num_heads, self.head_dim).transpose(1, 2)

    def project_kv(self, source: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor):
        """Keys (rotated with the keys' true positions) and values [B, heads, M, d] from source [B, M, H]."""
        k = self.split_heads(source + self.k_proj(source))
        v = self.split_heads(source + self.v_proj(source))
        return rope(k, cos, sin), v

    def forward(self, hidden, key, value, allowed, cos, sin) -> torch.Tensor:
        q = rope(self.split_heads(hidden + self.q_proj(hidden)), cos, sin)
        out = attend(q, key, value, allowed).transpose(1, 2).reshape(hidden.shape)
        return self.o_proj(out)  # no identity term on the output projection


class RouterLinear(nn.Linear):
    """The router's Linear(width, 2) (official key `reweight_module.linear`). Its input axis indexes key positions,
    so its forward gathers instead of multiplying: `key_positions` [B, K] -> the weight's columns there, [B, K, 2];
    `projected` [B, q, 2] -> projected + bias. The weights are read only inside forward, so device hooks
    (accelerate's CPU/disk offload, which loads a module's weights around its own forward) see every use."""

    def forward(self, key_positions: torch.Tensor | None = None, projected: torch.Tensor | None = None):
        if projected is not None:
            return projected + self.bias
        if int(key_positions.max()) >= self.in_features:
            raise ValueError(f"sequence position {int(key_positions.max())} exceeds the router width "
                             f"{self.in_features}")
        return self.weight.t()[key_positions]


class Router(nn.Module):
    """Per-token (w_vis, w_txt) = softmax(SiLU(Linear(Σ_heads attention probs))) over the 2 learners.

    The linear's input axis indexes *key positions* (official width 4096); a sequence of length L uses the first L
    columns. Columns are picked by each key's true position, so padding does not shift them.
    """

    def __init__(self, width: int):
        super().__init__()
        self.linear = RouterLinear(width, 2)

    def forward(self, summed_probs: torch.Tensor | None = None, key_positions: torch.Tensor | None = None,
                projected: torch.Tensor | None = None) -> torch.Tensor:
        """Three calls, one concept:
        - `key_positions` [B, K] alone: the weight's columns at those positions, [B, K, 2] (the values of the
          fused router attention, fused_router.py);
        - `projected` [B, q, 2] = Σ_k probs·W[:, pos(k)] (no bias): the per-token weights, [B, q, 2];
        - `summed_probs` [B, q, k] with `key_positions`: both steps, from explicit head-summed probabilities.
        """
        if projected is None:
            columns = self.linear(key_positions=key_positions)
            if summed_probs is None:
                return columns
            projected = torch.einsum("blk,bko->blo", summed_probs, columns.to(summed_probs.dtype))
        return F.silu(self.linear(projected=projected)).softmax(-1)


# ------------------------------------------------------------------------------------- per-sequence learner inputs
_PER_SAMPLE = ("visual_source", "visual_valid", "text_source", "text_positions", "text_slots", "text_valid",
               "has_image")


@dataclass
class LearnerMemory:
    """Key/value sources of the learners for one batch of sequences, kept on the KV cache (`WingsCache`).

    visual_*: projector outputs gathered per sample ([B, Mv, ...], `visual_valid` marks real slots).
    text_*:   layer-0 input embeddings of the textual learner's keys ([B, K, ...]): at prefill only the text keys of
              the mode's rule (`WingsModel.text_keys`), gathered per sample in order and padded to the batch max,
              so the learner costs O(q_len·K_text), not O(q_len·L); each cached step appends its new tokens.
              `text_valid` marks real keys, `text_positions` their true positions, `text_slots` their cache slots.
    kv:       per (layer, learner) projected keys/values, extended with new tokens only (only when `persistent`).
    """

    visual_source: torch.Tensor
    visual_rope: tuple[torch.Tensor, torch.Tensor]
    visual_valid: torch.Tensor
    text_source: torch.Tensor
    text_rope: tuple[torch.Tensor, torch.Tensor]
    text_positions: torch.Tensor
    text_slots: torch.Tensor
    text_valid: torch.Tensor
    has_image: torch.Tensor
    persistent: bool
    kv: dict = field(default_factory=dict)

    def append_text(self, source, rope_pair, positions, slots, valid) -> None:
        self.text_source = torch.cat([self.text_source, source], 1)
        self.text_rope = tuple(torch.cat([a, b], 1) for a, b in zip(self.text_rope, rope_pair))
        self.text_positions = torch.cat([self.text_positions, positions], 1)
        self.text_slots = torch.cat([self.text_slots, slots], 1)
        self.text_valid = torch.cat([self.text_valid, valid], 1)

    def keys_values(self, layer_idx: int, name: str, learner: LoRRA):
        """Projected K/V of one learner; with a cache only the not-yet-projected slots are computed."""
        source, (cos, sin) = (
            (self.visual_source, self.visual_rope) if name == "visual" else (self.text_source, self.text_rope)
        )
        done = self.kv.get((layer_idx, name)) if self.persistent else None
        start = 0 if done is None else done[0].shape[2]
        if start == source.shape[1]:
            return done
        k, v = learner.project_kv(source[:, start:], cos[:, start:], sin[:, start:])
        if done is not None:
            k, v = torch.cat([done[0], k], 2), torch.cat([done[1], v], 2)
        if self.persistent:
            self.kv[(layer_idx, name)] = (k, v)
        return k, v

    def select_rows(self, indices: torch.Tensor) -> None:
        """Keep rows `indices` (repeats allowed) of every per-sample tensor, in place, as the KV cache does."""
        indices = indices.to(self.has_image.device)
        for name in _PER_SAMPLE:
            setattr(self, name, getattr(self, name)[indices])
        self.visual_rope = tuple(t[indices] for t in self.visual_rope)
        self.text_rope = tuple(t[indices] for t in self.text_rope)
        self.kv = {key: (k[indices.to(k.device)], v[indices.to(v.device)]) for key, (k, v) in self.kv.items()}

    def crop(self, length: int) -> None:
        """Forget the text keys of cache slots >= `length` (the KV cache was cropped to `length` slots)."""
        self.text_valid = self.text_valid & (self.text_slots < length)
        keep = int(self.text_valid.any(0).nonzero().max()) + 1 if self.text_valid.any() else 1
        for name in ("text_source", "text_positions", "text_slots", "text_valid"):
            setattr(self, name, getattr(self, name)[:, :keep])
        self.text_rope = tuple(t[:, :keep] for t in self.text_rope)
        self.kv = {key: (k[:, :, :keep], v[:, :, :keep]) if key[1] == "textual" else (k, v)
                   for key, (k, v) in self.kv.items()}

    def to(self, device, non_blocking: bool = False) -> LearnerMemory:
        """A view on `device` for a decoder layer placed there (model split over devices); `kv` is shared, so what
        the layer projects stays cached."""
        moved = {name: getattr(self, name).to(device, non_blocking=non_blocking) for name in _PER_SAMPLE}
        return LearnerMemory(**moved, visual_rope=tuple(t.to(device) for t in self.visual_rope),
                             text_rope=tuple(t.to(device) for t in self.text_rope), persistent=self.persistent,
                             kv=self.kv)


class WingsCache(DynamicCache):
    """The KV cache WingsModel makes when none is given: it also holds the learner memory (`wings_memory`), whose
    rows and text keys follow the cache through row selection (one dialogue expanded to one row per candidate), beam
    reordering, repetition and cropping (assisted decoding)."""

    wings_memory: LearnerMemory | None = None

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        super().batch_select_indices(indices)
        if self.wings_memory is not None:
            self.wings_memory.select_rows(indices)

    def reorder_cache(self, beam_idx: torch.LongTensor) -> None:
        super().reorder_cache(beam_idx)
        if self.wings_memory is not None:
            self.wings_memory.select_rows(beam_idx)

    def batch_repeat_interleave(self, repeats: int) -> None:
        super().batch_repeat_interleave(repeats)
        if self.wings_memory is not None:
            rows = self.wings_memory.has_image.shape[0]
            self.wings_memory.select_rows(torch.arange(rows).repeat_interleave(repeats))

    def crop(self, tokens_to_remove: int) -> None:
        super().crop(tokens_to_remove)
        if self.wings_memory is not None:
            self.wings_memory.crop(self.get_seq_length())


@dataclass
class LayerInputs:
    """What every decoder layer needs besides the hidden states; built once per forward by WingsModel."""

    memory: LearnerMemory | None
    main_allowed: torch.Tensor  # [B, q_len, k_len] bool, the main self-attention mask
    key_positions: torch.Tensor  # [B, k_len] true position of every main-attention key (router columns)
    visual_allowed: torch.Tensor | None  # [B, q_len, Mv]
    text_allowed: torch.Tensor | None  # [B, q_len, K_text]
    want_probs: bool  # diagnostics: compute head-summed attention in every layer
    routed: bool = False  # learners on and an image in the batch: learner layers need the router
    fused_config: PreTrainedConfig | None = None  # backbone config with the fused router attention (routed only)
    fused_mask: torch.Tensor | None = None  # the main mask built by that implementation's mask function

    def to(self, device, non_blocking: bool = False) -> LayerInputs:
        """The same inputs on `device` (a layer placed on another device by a `device_map`)."""
        def move(t):
            return t.to(device, non_blocking=non_blocking) if isinstance(t, torch.Tensor) else t

        return LayerInputs(
            memory=None if self.memory is None else self.memory.to(device, non_blocking),
            main_allowed=move(self.main_allowed), key_positions=move(self.key_positions),
            visual_allowed=move(self.visual_allowed), text_allowed=move(self.text_allowed),
            want_probs=self.want_probs, routed=self.routed, fused_config=self.fused_config,
            fused_mask=move(self.fused_mask))


def gather_slots(embeds: torch.Tensor, positions: torch.Tensor, keep: torch.Tensor):
    """The rows of embeds/positions where keep [B, L] is true, in order, per sample, padded to the batch max.

    Returns (source [B, M, H], positions [B, M], slots [B, M] (column indices), valid [B, M]); M >= 1 so a batch
    with no such row still has a (fully masked) slot.
    """
    count = keep.sum(1)
    order = torch.argsort((~keep).to(torch.int8), dim=1, stable=True)[:, : max(int(count.max()), 1)]
    source = embeds.gather(1, order.unsqueeze(-1).expand(-1, -1, embeds.shape[-1]))
    valid = torch.arange(order.shape[1], device=order.device) < count[:, None]
    return source, positions.gather(1, order), order, valid


# ------------------------------------------------------------------------------------------------- decoder layer
class WingsDecoderLayer(GradientCheckpointingLayer):
    """The backbone's decoder layer (its own self_attn / mlp / norms) plus, optionally, two learners and a router."""

    def __init__(self, config: WingsConfig, layer_idx: int):
        super().__init__()
        text = config.text_config
        base = BACKBONES[text.model_type][0](text, layer_idx)
        self.self_attn, self.mlp = base.self_attn, base.mlp  # reuse the HF modules; names match the checkpoint
        self.input_layernorm, self.post_attention_layernorm = base.input_layernorm, base.post_attention_layernorm
        self.layer_idx, self.official = layer_idx, config.mode == "official"
        self.has_learners = config.has_learners(layer_idx)
        if self.has_learners:
            heads, head_dim = text.num_attention_heads, self.self_attn.head_dim
            self.attn_pool = LoRRA(text.hidden_size, heads, head_dim, config.learner_rank)  # visual learner
            self.attn_t_pool = LoRRA(text.hidden_size, heads, head_dim, config.learner_rank)  # textual learner
            self.reweight_module = Router(config.router_width)

    def forward(self, hidden_states, attention_mask, position_embeddings, layer_inputs: LayerInputs,
                cache: Cache | None = None, **kwargs):
        li = layer_inputs
        if li.main_allowed.device != hidden_states.device:  # this layer sits on another device (device_map)
            li = li.to(hidden_states.device)
        normed = self.input_layernorm(hidden_states)
        routed = self.has_learners and li.routed
        probs = router_input = weights = None
        if routed and li.fused_config is not None:  # router input from the main attention call (fused_router.py)
            columns = self.reweight_module(key_positions=li.key_positions)
            with attention_config(self.self_attn, li.fused_config):
                attn_out, router_input = self.self_attn(
                    hidden_states=normed, attention_mask=li.fused_mask, position_embeddings=position_embeddings,
                    cache=cache, wings_router_columns=columns, **kwargs)
            router_input = router_input.masked_fill(~li.main_allowed.any(-1, keepdim=True), 0.0)  # as explicit
        else:
            attn_out, _ = self.self_attn(hidden_states=normed, attention_mask=attention_mask,
                                         position_embeddings=position_embeddings, cache=cache, **kwargs)
            if routed or li.want_probs:  # explicit path: diagnostics / LAWS need the probabilities themselves
                probs = self.head_summed_attention(normed, position_embeddings, cache, li.main_allowed)
            if routed:
                columns = self.reweight_module(key_positions=li.key_positions).to(probs.dtype)
                router_input = torch.einsum("blk,bko->blo", probs, columns)
        h = hidden_states + attn_out
        if self.has_learners and li.memory is not None:
            delta, weights = self.learner_delta(h, router_input, position_embeddings, li)
            h = h + delta
        h = h + self.mlp(self.post_attention_layernorm(h))
        return h, probs, weights

    def learner_delta(self, h, router_input, position_embeddings, li: LayerInputs):
        """Σ_learners w·Δ. Queries are h after the main attention + residual (not normalised).

        router_input: Σ_h P_h·W[:, pos]ᵀ [B, L, 2] (no bias), None when no sample of the batch has an image.
        """
        cos, sin = position_embeddings
        memory = li.memory
        k, v = memory.keys_values(self.layer_idx, "textual", self.attn_t_pool)
        d_txt = self.attn_t_pool(h, k, v, li.text_allowed, cos, sin)
        if router_input is None:  # no image anywhere in the batch: textual learner only, weight 1
            return d_txt, None
        k, v = memory.keys_values(self.layer_idx, "visual", self.attn_pool)
        d_vis = self.attn_pool(h, k, v, li.visual_allowed, cos, sin)
        weights = self.reweight_module(projected=router_input)  # [B, L, 2]
        text_only = torch.tensor([0.0, 1.0], dtype=weights.dtype, device=weights.device)
        weights = torch.where(memory.has_image[:, None, None], weights, text_only)
        mixed = weights[..., :1] * d_vis + weights[..., 1:] * d_txt
        if self.official:  # released code adds the mixed output twice for image samples (trained that way)
            mixed = mixed * torch.where(memory.has_image, 2.0, 1.0).to(mixed.dtype)[:, None, None]
        return mixed, weights

    def head_summed_attention(self, normed, position_embeddings, cache, allowed) -> torch.Tensor:
        """Main-branch attention probabilities summed over heads, [B, q_len, k_len], head chunk by head chunk.

        Recomputed from the attention module's own q/k (RoPE applied, keys from the cache when there is one), so
        the main branch keeps its fast fused attention kernel.
        """
        attn = self.self_attn
        cos, sin = position_embeddings
        q = rope(attn.q_proj(normed).view(*normed.shape[:2], -1, attn.head_dim).transpose(1, 2), cos, sin)
        if cache is not None:
            k = cache.layers[self.layer_idx].keys
        else:
            k = rope(attn.k_proj(normed).view(*normed.shape[:2], -1, attn.head_dim).transpose(1, 2), cos, sin)
        k = repeat_kv(k, attn.num_key_value_groups)
        blocked = ~allowed.unsqueeze(1)
        total = q.new_zeros(q.shape[0], q.shape[2], k.shape[2])
        for start in range(0, q.shape[1], ROUTER_HEAD_CHUNK):
            end = start + ROUTER_HEAD_CHUNK
            scores = torch.matmul(q[:, start:end], k[:, start:end].transpose(-1, -2)) * attn.scaling
            p = scores.masked_fill(blocked, float("-inf")).softmax(-1, dtype=torch.float32)
            total = total + p.nan_to_num(0.0).to(q.dtype).sum(1)  # fully masked (padding) rows -> 0
        return total



# ------------------------------------------------------------------------------------------------------ the model
@dataclass
class WingsModelOutput(BaseModelOutputWithPast):
    """Adds, per decoder layer, the head-summed main attention ([B, q, k]) and router weights ([B, q, 2])."""

    head_summed_attentions: tuple | None = None
    router_weights: tuple | None = None


@dataclass
class WingsCausalLMOutput(CausalLMOutputWithPast):
    head_summed_attentions: tuple | None = None
    router_weights: tuple | None = None


class WingsPreTrainedModel(PreTrainedModel):
    config_class = WingsConfig
    config: WingsConfig
    base_model_prefix = "model"
    supports_gradient_checkpointing = True
    _no_split_modules = ["WingsDecoderLayer", "SiglipEncoderLayer"]
    _supports_sdpa = True

    def _init_weights(self, module):
        role = getattr(module, "lorra_init", None)  # LoRRA: A ~ trunc_normal(0.02), B = 0 => learner output 0
        if role == "down":
            init.trunc_normal_(module.weight, std=0.02)
        elif role == "up":
            init.zeros_(module.weight)
        else:
            super()._init_weights(module)


class WingsModel(WingsPreTrainedModel):
    def __init__(self, config: WingsConfig):
        super().__init__(config)
        config._attn_implementation = config._attn_implementation  # the setter copies it into the sub-configs
        text = config.text_config
        _, norm_cls, rotary_cls = BACKBONES[text.model_type]
        self.embed_tokens = nn.Embedding(text.vocab_size, text.hidden_size, text.pad_token_id)
        self.layers = nn.ModuleList(WingsDecoderLayer(config, i) for i in range(text.num_hidden_layers))
        self.norm = norm_cls(text.hidden_size, eps=text.rms_norm_eps)
        self.rotary_emb = rotary_cls(config=text)
        # image side: SigLIP tower, then the 2-layer projector (Linear, exact GELU, Linear) into the LLM width
        vision_hidden = config.vision_config.hidden_size
        self.vision_tower = SiglipVisionModel(config.vision_config)
        self.mm_projector = nn.Sequential(
            nn.Linear(vision_hidden, text.hidden_size), nn.GELU(), nn.Linear(text.hidden_size, text.hidden_size)
        )
        self.post_init()

    def image_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """[N, 3, S, S] -> [N, image_seq_length, H]: tower hidden_states[vision_feature_layer] -> projector."""
        tower_dtype = self.vision_tower.embeddings.patch_embedding.weight.dtype
        out = self.vision_tower(pixel_values.to(tower_dtype), output_hidden_states=True)
        return self.mm_projector(out.hidden_states[self.config.vision_feature_layer])

    def embed(self, input_ids, pixel_values):
        """Token embeddings with every image's projector output written over its placeholder tokens."""
        is_image = input_ids == self.config.image_token_id
        embeds = self.embed_tokens(input_ids.masked_fill(is_image, 0))
        n_images = 0 if pixel_values is None else pixel_values.shape[0]
        expected, found = n_images * self.config.image_seq_length, int(is_image.sum())
        if found != expected:
            raise ValueError(
                f"expected {expected} image tokens (id {self.config.image_token_id}) for {n_images} image(s) x "
                f"{self.config.image_seq_length}, found {found}"
            )
        if n_images:
            features = self.image_features(pixel_values).to(embeds.dtype)
            embeds = embeds.masked_scatter(is_image.unsqueeze(-1), features.reshape(-1, features.shape[-1]))
        return embeds, is_image

    def text_keys(self, is_image, positions, valid) -> torch.Tensor:
        """Which prefill positions are textual-learner keys, [B, L] bool.

        clean: the text — not the image, not the first `system_prompt_len` (S) positions of an image sample.
        official: the released rule (AIDC-AI/Wings, `WingsQwen2ForCausalLM.forward`) on each sample alone: with its
        image at positions [b, e) the keys are [S, b) ∪ [e, L); with the image at b = 0, or no image, every position
        (for b = 0 the image tokens and the system prompt too). The released code takes one image per sample.
        """
        system, has_image = self.config.system_prompt_len, is_image.any(1)
        if self.config.mode != "official":
            return valid & ~is_image & ~(has_image[:, None] & (positions < system))
        counts, per_image = is_image.sum(1), self.config.image_seq_length
        if bool((counts > per_image).any()):
            row = int((counts > per_image).nonzero()[0, 0])
            raise ValueError(f"official mode takes one image per sample, as the released WINGS code does (sample {row} "
                             f"has {int(counts[row]) // per_image}); use mode='clean' for several images")
        begin = torch.where(is_image, positions, positions.shape[1]).amin(1, keepdim=True)
        end = torch.where(is_image, positions + 1, 0).amax(1, keepdim=True)
        keep = ((positions >= system) & (positions < begin)) | (positions >= end)
        return valid & (keep | (begin == 0) | ~has_image[:, None])

    def build_memory(self, embeds, is_image, positions, valid, persistent) -> LearnerMemory:
        """Learner sources at prefill: the image slots and the textual keys (`text_keys`), each gathered per sample."""
        visual_source, visual_positions, _, visual_valid = gather_slots(embeds, positions, is_image)
        text_source, text_positions, text_slots, text_valid = gather_slots(
            embeds, positions, self.text_keys(is_image, positions, valid))
        return LearnerMemory(
            visual_source=visual_source,
            visual_rope=self.rotary_emb(visual_source, visual_positions),
            visual_valid=visual_valid,
            text_source=text_source,
            text_rope=self.rotary_emb(text_source, text_positions),
            text_positions=text_positions,
            text_slots=text_slots,
            text_valid=text_valid,
            has_image=is_image.any(1),
            persistent=persistent,
        )

    def learner_masks(self, memory: LearnerMemory, query_positions):
        """Which learner keys each query may see: visual = all of its sample's image; textual per the mode."""
        visual = memory.visual_valid[:, None, :].expand(-1, query_positions.shape[1], -1)
        if self.config.mode == "official":  # rank in the gathered text-key list, compared with the query position
            key_order = memory.text_valid.long().cumsum(1) - 1
        else:
            key_order = memory.text_positions
        text = memory.text_valid[:, None, :] & (key_order[:, None, :] <= query_positions[:, :, None])
        return visual, text

    @deprecate_kwarg("past_key_values", "5.40.0", new_name="cache")
    def forward(self, input_ids, pixel_values=None, attention_mask=None, position_ids=None, cache=None,
                use_cache=None, output_head_summed_attentions=False, head_summed_callback=None,
                **kwargs) -> WingsModelOutput:
        # head_summed_callback(layer_idx, probs [B, q, k]): receives each layer's head-summed main attention as it is
        # computed and the map is dropped at once (memory: one layer's map, not layers x S^2; used for LAWS).
        if input_ids is None:
            raise ValueError("WingsModel needs input_ids (image placeholders are found by token id)")
        embeds, is_image = self.embed(input_ids, pixel_values)
        if use_cache and cache is None:
            cache = WingsCache(config=self.config.text_config)
        past = cache.get_seq_length() if cache is not None else 0
        batch, q_len = input_ids.shape
        if self.config.mode == "official" and past + q_len > self.config.official_max_length:
            raise ValueError(f"official mode: {past + q_len} positions exceed the released model_max_length "
                             f"{self.config.official_max_length} (the released code silently cuts longer inputs); "
                             "shorten the input or use mode='clean'")
        if attention_mask is None:
            attention_mask = torch.ones(batch, past + q_len, dtype=torch.long, device=input_ids.device)
        key_positions = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)  # true positions under any padding
        if position_ids is None:
            position_ids = key_positions[:, -q_len:]

        valid_keys = attention_mask.bool()
        slots = torch.arange(past + q_len, device=input_ids.device)
        main_allowed = valid_keys[:, None, :] & (slots[None, None, :] <= (past + slots[:q_len])[None, :, None])
        hf_mask = create_causal_mask(config=self.config.text_config, inputs_embeds=embeds,
                                     attention_mask=attention_mask, cache=cache, position_ids=position_ids)
        position_embeddings = self.rotary_emb(embeds, position_ids)

        memory = visual_allowed = text_allowed = None
        if self.config.use_learners:
            memory = getattr(cache, "wings_memory", None) if past else None
            if past and memory is None:
                raise ValueError("this cache was not filled by WingsModel (no learner memory); prefill with it first")
            if memory is None:
                memory = self.build_memory(embeds, is_image, position_ids, valid_keys[:, -q_len:], cache is not None)
                if cache is not None:
                    cache.wings_memory = memory
            else:
                if is_image.any():
                    raise ValueError("images can only be given at the first (prefill) forward of a cached sequence")
                if self.config.mode == "official" and bool(memory.has_image.any()):
                    raise ValueError(OFFICIAL_NO_CONTINUATION)
                memory.append_text(embeds, position_embeddings, position_ids, slots[past:].expand(batch, -1),
                                   valid_keys[:, -q_len:])
            visual_allowed, text_allowed = self.learner_masks(memory, position_ids)
        want_probs = output_head_summed_attentions or head_summed_callback is not None
        layer_inputs = LayerInputs(memory, main_allowed, key_positions, visual_allowed, text_allowed, want_probs,
                                   routed=memory is not None and bool(memory.has_image.any()))
        # Routed layers take the router input from the main attention call, when that call is plain `sdpa` (the
        # fused function is sdpa): eager / flash / a tool's own implementation (LAWS) keep their own function.
        if layer_inputs.routed and not want_probs and self.config.text_config._attn_implementation == "sdpa":
            layer_inputs.fused_config = fused_config(self.config.text_config)
            layer_inputs.fused_mask = create_causal_mask(
                config=layer_inputs.fused_config, inputs_embeds=embeds, attention_mask=attention_mask, cache=cache,
                position_ids=position_ids)

        hidden, all_probs, all_weights = embeds, [], []
        for layer in self.layers:
            hidden, probs, weights = layer(hidden, hf_mask, position_embeddings, layer_inputs, cache=cache,
                                           position_ids=position_ids, **kwargs)
            if head_summed_callback is not None:
                head_summed_callback(layer.layer_idx, probs)
                probs = None if not output_head_summed_attentions else probs
            all_probs.append(probs)
            all_weights.append(weights)
        return WingsModelOutput(
            last_hidden_state=self.norm(hidden),
            cache=cache if use_cache else None,
            head_summed_attentions=tuple(all_probs) if output_head_summed_attentions else None,
            router_weights=tuple(all_weights) if output_head_summed_attentions else None,
        )


class WingsForConditionalGeneration(WingsPreTrainedModel, GenerationMixin):
    """WINGS with an LM head. `config.use_learners=False` gives the LLaVA-style baseline."""

    _tied_weights_keys = {"lm_head.weight": "model.embed_tokens.weight"}

    def __init__(self, config: WingsConfig):
        super().__init__(config)
        self.model = WingsModel(config)
        self.lm_head = nn.Linear(config.text_config.hidden_size, config.text_config.vocab_size, bias=False)
        self.post_init()

    def get_input_embeddings(self):
        return self.model.embed_tokens

    def reruns_each_step(self, input_ids: torch.Tensor | None) -> bool:
        """Official mode with an image: a cache would go stale (OFFICIAL_NO_CONTINUATION), so generation re-runs
        the whole sequence at every step, as the released code does. Text-only batches keep the exact KV cache."""
        return (self.config.mode == "official" and self.config.use_learners and input_ids is not None
                and bool((input_ids == self.config.image_token_id).any()))

    def generate(self, inputs=None, generation_config=None, **kwargs):
        """GenerationMixin.generate; official mode with an image decodes without a KV cache (`reruns_each_step`)."""
        if self.reruns_each_step(inputs if inputs is not None else kwargs.get("input_ids")):
            kwargs["use_cache"] = False
        elif kwargs.get("cache") is None and kwargs.get("past_key_values") is None:
            kwargs["cache"] = WingsCache(config=self.config.text_config)  # its learner memory follows beam reorders
        placeholder = self.config.image_token_id  # never generated: a placeholder without pixels breaks the next step
        if (getattr(generation_config or self.generation_config, "suppress_tokens", None) is None
                and placeholder < self.config.text_config.vocab_size):
            kwargs.setdefault("suppress_tokens", [placeholder])
        return super().generate(inputs, generation_config=generation_config, **kwargs)

    def _expand_inputs_for_generation(self, expand_size=1, is_encoder_decoder=False, input_ids=None, **model_kwargs):
        """Beams / several sequences per prompt: each sample's own images go with each of its copies (the default
        repeats every image in place, which misorders the images of a sample that has two or more)."""
        pixel_values = model_kwargs.pop("pixel_values", None)
        if pixel_values is not None and expand_size > 1 and input_ids is not None:
            per_row = (input_ids == self.config.image_token_id).sum(1) // self.config.image_seq_length
            chunks = pixel_values.split(per_row.tolist())
            pixel_values = torch.cat([chunk for chunk in chunks for _ in range(expand_size)])
        input_ids, model_kwargs = super()._expand_inputs_for_generation(expand_size, is_encoder_decoder, input_ids,
                                                                        **model_kwargs)
        if pixel_values is not None:
            model_kwargs["pixel_values"] = pixel_values
        return input_ids, model_kwargs

    def set_input_embeddings(self, value):
        self.model.embed_tokens = value

    @deprecate_kwarg("past_key_values", "5.40.0", new_name="cache")
    def forward(self, input_ids=None, pixel_values=None, attention_mask=None, position_ids=None, cache=None,
                labels=None, use_cache=None, logits_to_keep: int = 0, output_head_summed_attentions=False,
                **kwargs) -> WingsCausalLMOutput:
        out = self.model(input_ids, pixel_values=pixel_values, attention_mask=attention_mask,
                         position_ids=position_ids, cache=cache, use_cache=use_cache,
                         output_head_summed_attentions=output_head_summed_attentions, **kwargs)
        hidden = out.last_hidden_state
        if logits_to_keep:
            hidden = hidden[:, -logits_to_keep:]
        logits = self.lm_head(hidden)
        loss = None
        if labels is not None:
            loss = self.loss_function(logits=logits, labels=labels, vocab_size=self.config.text_config.vocab_size)
        return WingsCausalLMOutput(
            loss=loss,
            logits=logits,
            cache=out.cache,
            head_summed_attentions=out.head_summed_attentions,
            router_weights=out.router_weights,
        )


__all__ = ["LoRRA", "Router", "LearnerMemory", "WingsCache", "WingsModel", "WingsForConditionalGeneration",
           "WingsPreTrainedModel"]
