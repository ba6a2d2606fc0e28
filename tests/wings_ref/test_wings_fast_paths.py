"""The two fast paths against the computations they replace.

Fused router input: the router's Σ_h P_h·Wᵀ taken from extra value channels of the one main-attention SDPA call
(`wings_ref.fused_router`) equals the explicit head-summed-probabilities path (forced by
`output_head_summed_attentions=True`), values and gradients, with GQA, padding, mixed batches and a KV cache.
Compact textual learner: the learner over the gathered text keys equals a full-length reference written here
(every position of the sequence as a key, non-text positions masked), in clean and official mode, also in a cached step.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import pytest
import torch
from transformers import AttentionInterface
from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

from tests.wings_ref.wings_tiny import (
    IMAGE_TOKEN,
    SYSTEM_LEN,
    image_prompt,
    pad_batch,
    pixels,
    randomise_learners,
    text_prompt,
    tiny_config,
)
from wings_ref import WingsForConditionalGeneration
from wings_ref.fused_router import FUSED_ATTENTION, router_fused_attention

TOL = 1e-5
BATCHES = {
    "image": [image_prompt(3, before=4, after=2), image_prompt(4, before=5, after=6)],
    "mixed": [text_prompt(5, 12), image_prompt(6, before=4, after=3), text_prompt(7, 6)],
}


@pytest.fixture(scope="module", params=[2, 4], ids=lambda kv: f"kv{kv}")
def model(request) -> WingsForConditionalGeneration:
    """Tiny WINGS with 4 query heads and 2 (GQA) or 4 key/value heads, learners and router non-zero."""
    torch.manual_seed(0)
    m = WingsForConditionalGeneration(tiny_config(text_config=dict(
        tiny_config().text_config.to_dict(), num_key_value_heads=request.param))).eval()
    randomise_learners(m)
    return m


def batch(name: str, side: str):
    prompts = BATCHES[name]
    rows = [row for row, p in enumerate(prompts) if IMAGE_TOKEN in p]
    ids, mask = pad_batch(prompts, side)
    return ids, mask, torch.cat([pixels(1, row) for row in rows])


@pytest.fixture
def fused_calls(monkeypatch) -> list[bool]:
    """Records every call of the registered fused attention (True when it was given router columns)."""
    calls: list[bool] = []

    def counting(*args, wings_router_columns=None, **kwargs):
        calls.append(wings_router_columns is not None)
        return router_fused_attention(*args, wings_router_columns=wings_router_columns, **kwargs)
    monkeypatch.setitem(AttentionInterface._global_mapping, FUSED_ATTENTION, counting)
    return calls


@contextmanager
def captured_router_inputs(model):
    """Collects, per learner layer, the router input (Σ_h P_h·Wᵀ, no bias) that reaches learner_delta."""
    got: list[torch.Tensor] = []
    layers = [layer for layer in model.model.layers if layer.has_learners]
    for layer in layers:
        def spy(h, router_input, pe, li, _orig=layer.learner_delta):
            got.append(router_input)
            return _orig(h, router_input, pe, li)
        layer.learner_delta = spy
    try:
        yield got
    finally:
        for layer in layers:
            del layer.learner_delta


# ------------------------------------------------------------------------------------------- fused router input
def test_text_only_batch_and_eager_backbone_skip_the_fused_attention(model, fused_calls):
    model(torch.tensor([text_prompt(1)]))
    ids, mask, images = batch("mixed", "left")
    model.config.text_config._attn_implementation = "eager"  # eager returns attention weights: keep it (LAWS)
    try:
        model(ids, pixel_values=images, attention_mask=mask)
    finally:
        model.config.text_config._attn_implementation = "sdpa"
    assert fused_calls == []


def test_fused_attention_and_its_mask_function_are_registered():
    assert ALL_ATTENTION_FUNCTIONS[FUSED_ATTENTION] is router_fused_attention
    assert FUSED_ATTENTION in ALL_MASK_ATTENTION_FUNCTIONS  # else a custom attention name silently gets no mask


def test_fused_attention_equals_per_head_softmax_reference():
    """Independent of the model: output = softmax(qkᵀ/√d)v per head, extra = Σ_h softmax(...)·columns (GQA 4:2)."""
    gen = torch.Generator().manual_seed(0)
    q, k, v = torch.randn(2, 4, 5, 16, generator=gen), torch.randn(2, 2, 7, 16, generator=gen), \
        torch.randn(2, 2, 7, 16, generator=gen)
    columns = torch.randn(2, 7, 2, generator=gen)
    mask = torch.rand(2, 1, 5, 7, generator=gen) > 0.3
    mask[..., 0] = True
    module = torch.nn.Module()
    module.num_key_value_groups, module.is_causal = 2, True
    out, extra = router_fused_attention(module, q, k, v, mask, scaling=0.25, wings_router_columns=columns)
    kk, vv = k.repeat_interleave(2, 1), v.repeat_interleave(2, 1)
    p = (q @ kk.transpose(-1, -2) * 0.25).masked_fill(~mask, float("-inf")).softmax(-1)  # [B, H, Lq, Lk]
    assert torch.allclose(out, (p @ vv).transpose(1, 2), atol=TOL)
    assert torch.allclose(extra, torch.einsum("bhqk,bko->bqo", p, columns), atol=TOL)


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("name", sorted(BATCHES))
@torch.no_grad()
def test_fused_router_input_equals_explicit_head_summed_path(model, name, side, fused_calls):
    ids, mask, images = batch(name, side)
    assert model.config.text_config._attn_implementation == "sdpa"
    with captured_router_inputs(model) as fused:
        fused_logits = model(ids, pixel_values=images, attention_mask=mask).logits
    assert fused_calls == [True, True]  # both learner layers took the fused path
    with captured_router_inputs(model) as explicit:
        explicit_logits = model(ids, pixel_values=images, attention_mask=mask,
                                output_head_summed_attentions=True).logits
    assert fused_calls == [True, True]  # the explicit path does not call it
    assert len(fused) == len(explicit) == 2
    for a, b in zip(fused, explicit):
        assert a.abs().max() > 0.1  # the router input is not trivially zero
        assert torch.allclose(a, b, atol=TOL), (a - b).abs().max()
    valid = mask.bool()
    assert torch.allclose(fused_logits[valid], explicit_logits[valid], atol=TOL)


@torch.no_grad()
def test_fused_router_input_in_a_cached_step_equals_explicit(model, fused_calls):
    ids, mask, images = batch("mixed", "left")
    step_ids, step_mask = torch.tensor([[9], [10], [11]]), torch.cat([mask, torch.ones(3, 1, dtype=mask.dtype)], 1)
    results = []
    for explicit in (False, True):
        prefill = model(ids, pixel_values=images, attention_mask=mask, use_cache=True)
        with captured_router_inputs(model) as got:
            logits = model(step_ids, attention_mask=step_mask, cache=prefill.cache, use_cache=True,
                           output_head_summed_attentions=explicit).logits
        results.append((got, logits))
    (fused, fused_logits), (ref, ref_logits) = results
    assert fused_calls == [True] * 6  # 2 layers x (fused prefill, fused step, prefill before the explicit step)
    for a, b in zip(fused, ref):
        assert a.shape == (3, 1, 2) and torch.allclose(a, b, atol=TOL)
    assert torch.allclose(fused_logits, ref_logits, atol=TOL)


def test_fused_router_gradients_equal_explicit_gradients(model, fused_calls):
    ids, mask, images = batch("mixed", "left")
    target = torch.randn(*ids.shape, model.config.text_config.vocab_size, generator=torch.Generator().manual_seed(3))
    params = {name: p for name, p in sorted(model.named_parameters())
              if name.startswith("model.layers.") and any(k in name for k in ("reweight_module", "q_proj", "k_proj"))}
    grads = []
    for explicit in (False, True):
        logits = model(ids, pixel_values=images, attention_mask=mask, output_head_summed_attentions=explicit).logits
        loss = (logits * target * mask[..., None]).sum() / 100
        grads.append(torch.autograd.grad(loss, list(params.values())))
    assert fused_calls == [True, True]
    for name, a, b in zip(params, *grads):
        assert b.abs().max() > 0, name
        assert torch.allclose(a, b, atol=TOL), f"{name}: {(a - b).abs().max()}"


# -------------------------------------------------------------------------------------- compact textual learner
def naive_rope(x: torch.Tensor, positions: torch.Tensor, theta: float) -> torch.Tensor:
    """x [B, heads, L, d] rotated by positions [B, L]: pair (i, i + d/2) turned by pos * theta^(-2i/d)."""
    half = x.shape[-1] // 2
    angle = positions[:, None, :, None].double() * theta ** (-2 * torch.arange(half, dtype=torch.float64) / x.shape[-1])
    c, s = angle.cos().to(x.dtype), angle.sin().to(x.dtype)
    return torch.cat([x[..., :half] * c - x[..., half:] * s, x[..., half:] * c + x[..., :half] * s], -1)


def full_length_textual_delta(learner, h, embeds, positions, key_ok, query_positions, official, theta):
    """The old textual learner: every sequence position is a key; non-text keys masked (key_ok [B, L])."""
    def low_rank(pair, x):
        return x @ pair[0].weight.T @ pair[1].weight.T

    def heads(x):
        return x.view(*x.shape[:2], learner.num_heads, -1).transpose(1, 2)

    q = naive_rope(heads(h + low_rank(learner.q_proj, h)), query_positions, theta)
    k = naive_rope(heads(embeds + low_rank(learner.k_proj, embeds)), positions, theta)
    v = heads(embeds + low_rank(learner.v_proj, embeds))
    order = key_ok.long().cumsum(1) - 1 if official else positions
    allowed = (key_ok[:, None, :] & (order[:, None, :] <= query_positions[:, :, None]))[:, None]
    scores = (q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])).masked_fill(~allowed, float("-inf"))
    out = (scores.softmax(-1).nan_to_num(0.0) @ v).transpose(1, 2).reshape(h.shape)
    return low_rank(learner.o_proj, out)


@contextmanager
def captured_textual_calls(model):
    """(h, output) of every textual-learner call, in layer order."""
    calls, handles = [], []
    for layer in model.model.layers:
        if layer.has_learners:
            handles.append(layer.attn_t_pool.register_forward_hook(
                lambda mod, args, out, _l=layer: calls.append((_l.attn_t_pool, args[0], out))))
    try:
        yield calls
    finally:
        for handle in handles:
            handle.remove()


def text_keys(ids, mask):
    """True positions and which positions are textual-learner keys (valid, not image, not an image sample's system)."""
    positions = (mask.cumsum(1) - 1).clamp(min=0)
    has_image = (ids == IMAGE_TOKEN).any(1, keepdim=True)
    key_ok = mask.bool() & (ids != IMAGE_TOKEN) & ~(has_image & (positions < SYSTEM_LEN))
    return positions, key_ok


@pytest.mark.parametrize("mode", ["clean", "official"])
@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("name", sorted(BATCHES))
@torch.no_grad()
def test_compact_textual_learner_equals_full_length_reference(model, mode, name, side):
    model.model.config.mode = mode
    for layer in model.model.layers:
        layer.official = mode == "official"
    try:
        ids, mask, images = batch(name, side)
        with captured_textual_calls(model) as calls:
            model(ids, pixel_values=images, attention_mask=mask)
        embeds, _ = model.model.embed(ids, images)
        positions, key_ok = text_keys(ids, mask)
        assert len(calls) == 2
        for learner, h, out in calls:
            ref = full_length_textual_delta(learner, h, embeds, positions, key_ok, positions, mode == "official",
                                            model.config.rope_theta)
            assert out.abs().max() > 0.1
            assert torch.allclose(out, ref, atol=TOL), (out - ref).abs().max()
    finally:
        model.model.config.mode = "clean"
        for layer in model.model.layers:
            layer.official = False


@torch.no_grad()
def test_cached_step_textual_learner_equals_full_length_reference(model):
    """The compact memory grows by the new token; the step's learner output matches the full-length reference."""
    ids, mask, images = batch("mixed", "left")
    prefill = model(ids, pixel_values=images, attention_mask=mask, use_cache=True)
    compact = prefill.cache.wings_memory.text_source.shape[1]
    _, key_ok = text_keys(ids, mask)
    assert compact == int(key_ok.sum(1).max()) < ids.shape[1]
    step_ids, step_mask = torch.tensor([[9], [10], [11]]), torch.cat([mask, torch.ones(3, 1, dtype=mask.dtype)], 1)
    with captured_textual_calls(model) as calls:
        model(step_ids, attention_mask=step_mask, cache=prefill.cache, use_cache=True)
    assert prefill.cache.wings_memory.text_source.shape[1] == compact + 1
    full_ids = torch.cat([ids, step_ids], 1)
    embeds, _ = model.model.embed(full_ids, images)
    positions, key_ok = text_keys(full_ids, step_mask)
    for learner, h, out in calls:
        ref = full_length_textual_delta(learner, h, embeds, positions, key_ok, positions[:, -1:], False,
                                        model.config.rope_theta)
        assert torch.allclose(out, ref, atol=TOL), (out - ref).abs().max()
