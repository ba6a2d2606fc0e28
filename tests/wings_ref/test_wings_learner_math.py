"""LoRRA and the router against naive references written here, independently of wings_ref."""

from __future__ import annotations

import math

import torch
from transformers import Qwen2Config
from transformers.models.qwen2.modeling_qwen2 import Qwen2RotaryEmbedding

from wings_ref import LoRRA, Router

HIDDEN, HEADS, HEAD_DIM, RANK, THETA = 16, 2, 8, 3, 10000.0


def naive_rotate(x: torch.Tensor, position: int) -> torch.Tensor:
    """RoPE on one head vector [d]: pair (i, i + d/2) rotated by position * theta^(-2i/d)."""
    half = x.shape[-1] // 2
    out = torch.empty_like(x)
    for i in range(half):
        angle = position * THETA ** (-2 * i / x.shape[-1])
        c, s = math.cos(angle), math.sin(angle)
        out[i] = x[i] * c - x[i + half] * s
        out[i + half] = x[i + half] * c + x[i] * s
    return out


def naive_lorra(learner: LoRRA, h, x, q_pos, k_pos, allowed) -> torch.Tensor:
    def low_rank(pair, v):
        return v @ pair[0].weight.T @ pair[1].weight.T

    q = h + low_rank(learner.q_proj, h)
    k = x + low_rank(learner.k_proj, x)
    v = x + low_rank(learner.v_proj, x)
    out = torch.zeros_like(h)
    for head in range(HEADS):
        cols = slice(head * HEAD_DIM, (head + 1) * HEAD_DIM)
        for i in range(h.shape[0]):
            if not allowed[i].any():
                continue
            qi = naive_rotate(q[i, cols], q_pos[i])
            scores = torch.tensor([
                float(qi @ naive_rotate(k[j, cols], k_pos[j])) / math.sqrt(HEAD_DIM) if allowed[i, j] else -math.inf
                for j in range(x.shape[0])
            ])
            out[i, cols] = scores.softmax(0) @ v[:, cols]
    return low_rank(learner.o_proj, out)


def rope_tables(positions: torch.Tensor):
    config = Qwen2Config(hidden_size=HIDDEN, num_attention_heads=HEADS, rope_parameters={"rope_type": "default",
                                                                                          "rope_theta": THETA})
    return Qwen2RotaryEmbedding(config)(torch.zeros(1, dtype=torch.float32), positions[None])


@torch.no_grad()
def test_lorra_matches_naive_reference_with_nonzero_up_projections():
    torch.manual_seed(0)
    learner = LoRRA(HIDDEN, HEADS, HEAD_DIM, RANK)
    for p in learner.parameters():
        p.copy_(torch.randn(p.shape) * 0.4)
    h, x = torch.randn(5, HIDDEN), torch.randn(4, HIDDEN)
    q_pos, k_pos = torch.tensor([3, 4, 5, 6, 7]), torch.tensor([0, 1, 5, 6])
    allowed = k_pos[None, :] <= q_pos[:, None] - 3  # query 0 (pos 3) sees one key; none fully masked here
    allowed[0] = False  # and one query with no key at all -> zero output
    k, v = learner.project_kv(x[None], *rope_tables(k_pos))
    got = learner(h[None], k, v, allowed[None], *rope_tables(q_pos))[0]
    expected = naive_lorra(learner, h, x, q_pos.tolist(), k_pos.tolist(), allowed)
    assert torch.allclose(got, expected, atol=1e-5)
    assert torch.equal(got[0], torch.zeros(HIDDEN))


@torch.no_grad()
def test_lorra_output_is_exactly_zero_with_zero_up_projections():
    learner = LoRRA(HIDDEN, HEADS, HEAD_DIM, RANK)
    for pair in (learner.q_proj, learner.k_proj, learner.v_proj, learner.o_proj):
        pair[1].weight.zero_()
    k, v = learner.project_kv(torch.randn(1, 4, HIDDEN), *rope_tables(torch.arange(4)))
    out = learner(torch.randn(1, 3, HIDDEN), k, v, torch.ones(1, 3, 4, dtype=torch.bool), *rope_tables(torch.arange(3)))
    assert torch.equal(out, torch.zeros_like(out))


@torch.no_grad()
def test_router_uses_first_key_position_columns_then_silu_softmax():
    torch.manual_seed(0)
    router = Router(width=32)
    router.linear.weight.copy_(torch.randn(2, 32))
    router.linear.bias.copy_(torch.randn(2))
    length = 6
    probs = torch.randn(1, length, length).softmax(-1) * 4  # "summed over 4 heads"
    got = router(probs, torch.arange(length)[None])
    logits = probs[0] @ router.linear.weight[:, :length].T + router.linear.bias
    expected = (logits * torch.sigmoid(logits)).softmax(-1)
    assert torch.allclose(got[0], expected, atol=1e-6)


@torch.no_grad()
def test_router_reads_columns_by_true_position_under_left_padding():
    torch.manual_seed(1)
    router = Router(width=32)
    router.linear.weight.copy_(torch.randn(2, 32))
    probs = torch.randn(1, 4, 4).softmax(-1)
    padded = torch.zeros(1, 4, 6)
    padded[:, :, 2:] = probs  # two padding keys in front carry no probability
    key_positions = torch.tensor([[0, 0, 0, 1, 2, 3]])
    assert torch.allclose(router(padded, key_positions)[0], router(probs, torch.arange(4)[None])[0], atol=1e-6)


def test_router_rejects_sequences_longer_than_its_width():
    router = Router(width=4)
    try:
        router(torch.zeros(1, 5, 5), torch.arange(5)[None])
    except ValueError as err:
        assert "router width 4" in str(err)
    else:
        raise AssertionError("expected ValueError")
