"""Memory of the attention-interface backend's block-wise column sums (`ColumnMass.add_blocks`), measured as live
tensor bytes from the profiler's allocation events: a layer's extra memory is its workspace (keys, one query block
and that block's scores - linear in the block size, never S x S) and nothing of it outlives the layer."""

from __future__ import annotations

import pytest
import torch
from torch.profiler import ProfilerActivity, profile

from iitbench.laws.collect import ColumnMass

S, HEADS, KV_HEADS, DIM = 1024, 4, 2, 16


def _inputs():
    g = torch.Generator().manual_seed(0)
    # [B, H, S, D] views of [B, S, H, D] tensors, the layout the HF attention functions receive
    query = torch.randn(1, S, HEADS, DIM, generator=g).transpose(1, 2)
    key = torch.randn(1, S, KV_HEADS, DIM, generator=g).transpose(1, 2)
    return query, key


def _live_bytes(fn) -> tuple[int, int]:
    """(peak, final) bytes of CPU tensors allocated by `fn` and still alive, over its run."""
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    events = sorted((e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"),
                    key=lambda e: e.start_ns())
    live = peak = 0
    for e in events:
        live += e.nbytes()
        peak = max(peak, live)
    return peak, live


def _workspace_bytes(block: int) -> int:
    return 4 * (KV_HEADS * DIM * S + HEADS * block * DIM + HEADS * block * S)


@pytest.mark.parametrize("block", [16, 64])
def test_block_peak_is_the_workspace_not_the_layers_attention_map(block):
    query, key = _inputs()
    mass = ColumnMass(1, torch.ones(1, S), "sum", block_size=block)
    peak, _ = _live_bytes(lambda: mass.add_blocks(0, query, key, None, DIM ** -0.5, True))
    assert _workspace_bytes(block) <= peak <= _workspace_bytes(block) + (64 << 10)  # + the per-block vectors
    assert peak * 10 < HEADS * S * S * 4  # one layer's probabilities would be 16 MiB

    # still exact: causal softmax of the GQA scores, heads and queries summed
    scores = query @ key.repeat_interleave(HEADS // KV_HEADS, 1).transpose(-1, -2) * DIM ** -0.5
    future = torch.ones(S, S, dtype=torch.bool).triu(1)
    expected = scores.masked_fill(future, float("-inf")).softmax(-1).sum((1, 2))
    torch.testing.assert_close(mass.cols[0], expected, rtol=1e-5, atol=1e-4)


def test_nothing_of_a_layer_is_kept_after_it():
    """A workspace kept for the next layer would be held through the MLP, where a forward peaks."""
    query, key = _inputs()
    mass = ColumnMass(3, torch.ones(1, S), "sum", block_size=64)

    def three_layers():
        for layer in range(3):
            mass.add_blocks(layer, query, key, None, DIM ** -0.5, True)

    peak, final = _live_bytes(three_layers)
    assert final == 0 and peak >= _workspace_bytes(64)
    kept = [name for name, value in vars(mass).items() if isinstance(value, torch.Tensor)]
    assert sorted(kept) == ["cols", "weights"] and mass.seen == {0, 1, 2}
