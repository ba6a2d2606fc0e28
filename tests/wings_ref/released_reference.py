"""A naive re-implementation of the released WINGS forward (AIDC-AI/Wings, `wings/model/modeling_wings_qwen2.py`
and `base_module.py` at transformers 4.37), as a test oracle for wings_ref's `official` mode.

It reads the official-layout tensors by their official names and uses plain torch loops in float64: Qwen2 layers with
their own RoPE, textual learner keys chosen by the released expressions (`released_text_positions`) under the
index-based mask (the first K columns of the causal mask), router over the first L weight columns, the doubled add for
image samples, the textual learner alone for text-only samples, SigLIP truncated to the kept layers without
post_layernorm. One sample at a time, as the released inference runs. No wings_ref code is called here.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from tests.wings_ref.official_layout import OFFICIAL_TOWER, SYSTEM_LEN, TEXT, THETA, VISION_FULL

HEADS, HIDDEN, EPS = TEXT["num_attention_heads"], TEXT["hidden_size"], TEXT["rms_norm_eps"]
HEAD_DIM = HIDDEN // HEADS
KEPT_TOWER_LAYERS = VISION_FULL["num_hidden_layers"] - 1
IMAGE_IDS = [7, 8, 9, 10] + [5] * 16 + [11, 12, 13, 14, 15, 16]
TEXT_IDS = [20, 21, 22, 23, 24, 25, 26, 27]


def linear(x, w, prefix, bias=True):
    out = x @ w[prefix + ".weight"].T
    return out + w[prefix + ".bias"] if bias else out


def rotate(x, positions):
    """RoPE on [L, d]: pair (i, i + d/2) turned by position * THETA^(-2i/d)."""
    half = x.shape[-1] // 2
    angle = positions[:, None].double() * THETA ** (-2 * torch.arange(half, dtype=torch.float64) / x.shape[-1])
    c, s = angle.cos(), angle.sin()
    return torch.cat([x[:, :half] * c - x[:, half:] * s, x[:, half:] * c + x[:, :half] * s], -1)


def siglip_features(w, image):
    patch, grid = VISION_FULL["patch_size"], VISION_FULL["image_size"] // VISION_FULL["patch_size"]
    t = OFFICIAL_TOWER
    patches = torch.stack([image[:, r * patch:(r + 1) * patch, c * patch:(c + 1) * patch].reshape(-1)
                           for r in range(grid) for c in range(grid)])
    x = patches @ w[t + "embeddings.patch_embedding.weight"].reshape(VISION_FULL["hidden_size"], -1).T
    x = x + w[t + "embeddings.patch_embedding.bias"] + w[t + "embeddings.position_embedding.weight"]
    heads = VISION_FULL["num_attention_heads"]
    d = VISION_FULL["hidden_size"] // heads
    for i in range(KEPT_TOWER_LAYERS):  # the last layer of the full tower is not run; post_layernorm never
        p = f"{t}encoder.layers.{i}."
        n = F.layer_norm(x, (x.shape[-1],), w[p + "layer_norm1.weight"], w[p + "layer_norm1.bias"], 1e-6)
        q, k, v = (linear(n, w, p + f"self_attn.{m}_proj") for m in "qkv")
        out = torch.cat([(q[:, h * d:(h + 1) * d] @ k[:, h * d:(h + 1) * d].T / math.sqrt(d)).softmax(-1)
                         @ v[:, h * d:(h + 1) * d] for h in range(heads)], -1)
        x = x + linear(out, w, p + "self_attn.out_proj")
        n = F.layer_norm(x, (x.shape[-1],), w[p + "layer_norm2.weight"], w[p + "layer_norm2.bias"], 1e-6)
        x = x + linear(F.gelu(linear(n, w, p + "mlp.fc1"), approximate="tanh"), w, p + "mlp.fc2")
    return linear(F.gelu(linear(x, w, "model.mm_projector.0")), w, "model.mm_projector.2")


def lorra(w, prefix, h, q_pos, source, k_pos, allowed):
    def low(x, name):
        return x @ w[f"{prefix}.{name}.0.weight"].T @ w[f"{prefix}.{name}.1.weight"].T

    q, k, v = h + low(h, "q_proj"), source + low(source, "k_proj"), source + low(source, "v_proj")
    out = torch.zeros_like(h)
    for head in range(HEADS):
        cols = slice(head * HEAD_DIM, (head + 1) * HEAD_DIM)
        qh, kh = rotate(q[:, cols], q_pos), rotate(k[:, cols], k_pos)
        for i in range(h.shape[0]):
            if allowed[i].any():
                scores = (qh[i] @ kh.T / math.sqrt(HEAD_DIM)).masked_fill(~allowed[i], -math.inf)
                out[i, cols] = scores.softmax(-1) @ v[:, cols]
    return low(out, "o_proj")


def rms(x, weight):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * weight


def released_text_positions(length: int, image_span: tuple[int, int] | None, system_len: int) -> list[int]:
    """`position_ids_text` of `WingsQwen2ForCausalLM.forward` for one sample: a text-only sample (its image slot is
    recorded as (0, T)) and an image at position 0 keep every position; otherwise
    `cat(temp_pos[system_prompt_length:begin], temp_pos[end:])` (Python slicing: empty when begin < S)."""
    positions = list(range(length))
    if image_span is None or image_span[0] == 0:
        return positions
    begin, end = image_span
    return positions[system_len:begin] + positions[end:]


def naive_official_logits(w, ids, image=None, system_len=SYSTEM_LEN):
    w = {k: v.double() for k, v in w.items()}
    L, pos = len(ids), torch.arange(len(ids))
    x = w["model.embed_tokens.weight"][torch.tensor(ids).masked_fill(torch.tensor(ids) == 5, 0)]
    img = [p for p in range(L) if ids[p] == 5]
    if image is not None:
        x[img] = siglip_features(w, image.double())
    txt = released_text_positions(L, (img[0], img[-1] + 1) if image is not None else None, system_len)
    t_src, v_src = x[txt].clone(), x[img].clone()  # layer-0 inputs, the same keys at every layer
    text_allowed = torch.arange(len(txt))[None, :] <= pos[:, None]  # index in the key list vs query position
    causal = pos[None, :] <= pos[:, None]
    for n in range(TEXT["num_hidden_layers"]):
        p = f"model.layers.{n}."
        normed = rms(x, w[p + "input_layernorm.weight"])
        q, k, v = (linear(normed, w, p + f"self_attn.{m}_proj") for m in "qkv")
        heads_out, summed = [], torch.zeros(L, L, dtype=torch.float64)
        for head in range(HEADS):
            cols = slice(head * HEAD_DIM, (head + 1) * HEAD_DIM)
            scores = rotate(q[:, cols], pos) @ rotate(k[:, cols], pos).T / math.sqrt(HEAD_DIM)
            probs = scores.masked_fill(~causal, -math.inf).softmax(-1)
            summed += probs
            heads_out.append(probs @ v[:, cols])
        h = x + linear(torch.cat(heads_out, -1), w, p + "self_attn.o_proj", bias=False)
        d_txt = lorra(w, p + "attn_t_pool", h, pos, t_src, torch.tensor(txt), text_allowed)
        if image is None:
            h = h + d_txt
        else:
            d_vis = lorra(w, p + "attn_pool", h, pos, v_src, torch.tensor(img), torch.ones(L, len(img), dtype=bool))
            router = summed @ w[p + "reweight_module.linear.weight"][:, :L].T + w[p + "reweight_module.linear.bias"]
            weights = F.silu(router).softmax(-1)
            h = h + 2 * (weights[:, :1] * d_vis + weights[:, 1:] * d_txt)
        n2 = rms(h, w[p + "post_attention_layernorm.weight"])
        mlp = F.silu(n2 @ w[p + "mlp.gate_proj.weight"].T) * (n2 @ w[p + "mlp.up_proj.weight"].T)
        x = h + mlp @ w[p + "mlp.down_proj.weight"].T
    return rms(x, w["model.norm.weight"]) @ w["lm_head.weight"].T
