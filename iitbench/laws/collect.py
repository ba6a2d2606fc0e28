"""Per-layer key-column attention mass, accumulated in fp32, and the batch loop every backend shares.

`ColumnMass` holds, per layer and batch row, col[j] = Σ_queries w_i Σ_heads a_ij (w_i = 1 for the summed query
rows - every real token, or the suffix `--queries` selects - and 0 for the others and padding), i.e. O(layers x S)
memory. A segment's LAWS value is the sum of its columns; the head reduction `mean` divides by the number of heads.
With a query selection and `--sinks exclude`, a second weight row (every real token) accumulates the columns sinks
are detected from, so a sink is the same token whichever rows are summed. Backends feed it either attention weights
(eager), head-summed maps (WINGS) or query/key blocks (the attention-interface backend, `add_blocks`), which never
hold more than one block's scores.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from iitbench.laws.protocol import IMAGE, LABEL_NAMES, SINK, SINK_SHARE, LawsOptions, LawsResult, Segments, query_start

DEFAULT_BLOCK_ELEMENTS = 1 << 21  # fp32 scores per query block (8 MiB): O(block x S) memory, whatever S


@dataclass(frozen=True)
class Prepared:
    """A tokenised sample ready for a forward pass; `payload` is backend-specific (prompt text, images, pixels)."""

    key: str
    ids: tuple[int, ...]
    segments: Segments
    payload: Any = None


class ColumnMass:
    """Accumulates per-layer key-column masses for one batch."""

    def __init__(self, n_layers: int, query_mask: torch.Tensor, head_reduction: str, block_size: int | None = None,
                 selected: torch.Tensor | None = None, sink_rows: bool = False):
        """`query_mask` [B, S]: real tokens; `selected` [B, S]: the summed query rows (None: every real token);
        `sink_rows`: also accumulate every real token's columns (`sink_cols`) when `selected` is given."""
        real = query_mask.to(torch.float32)
        rows = [real] if selected is None else [real * selected.to(real)] + ([real] if sink_rows else [])
        self.weights = torch.stack(rows, 1)  # [B, R, S]: R = 1, or 2 with the sink-detection row
        self.sparse = selected is not None  # query blocks without a summed row can be skipped
        # On the model's device: no host sync per block on GPUs.
        self.cols = torch.zeros(n_layers, *query_mask.shape, dtype=torch.float32, device=query_mask.device)
        self.sink_cols = torch.zeros_like(self.cols) if len(rows) == 2 else None
        self.mean = head_reduction == "mean"
        self.block_size = block_size
        self.seen: set[int] = set()

    def _add(self, layer: int, summed: torch.Tensor, n_heads: int) -> None:
        """`summed`: [B, q, k] head-summed probabilities of all queries over keys 0..k."""
        w = self.weights[:, :, :summed.shape[1]].to(summed.device)
        self._add_cols(layer, torch.bmm(w, summed.float()), n_heads)

    def _add_cols(self, layer: int, col: torch.Tensor, n_heads: int) -> None:
        """`col`: [B, R, k] query-weighted, head-summed column masses (row 0 the summed queries)."""
        if self.mean:
            col = col / n_heads
        self.cols[layer, :, :col.shape[2]] += col[:, 0].to(self.cols.device)
        if self.sink_cols is not None:
            self.sink_cols[layer, :, :col.shape[2]] += col[:, 1].to(self.sink_cols.device)
        self.seen.add(layer)

    def add_weights(self, layer: int, weights: torch.Tensor) -> None:
        """Eager attention weights [B, H, q, k]."""
        self._add(layer, weights.float().sum(1), weights.shape[1])

    def add_head_summed(self, layer: int, summed: torch.Tensor, n_heads: int) -> None:
        self._add(layer, summed, n_heads)

    def add_blocks(self, layer: int, query: torch.Tensor, key: torch.Tensor, mask: torch.Tensor | None,
                   scaling: float, causal: bool) -> None:
        """Column sums of softmax(q k^T * scaling + mask) computed one query block at a time.

        query [B, H, q, D]; key [B, H_kv, k, D] with H a multiple of H_kv (GQA: query heads h*g..h*g+g-1 share kv
        head h, as `repeat_kv` orders them - the g query heads are stacked as extra rows instead of repeating keys).
        `mask`: None (plain causal, or none), bool [B|1, 1, q, k] (True = attend) or additive float."""
        batch, heads, q_len, dim = query.shape
        kv_heads, k_len = key.shape[1], key.shape[2]
        groups = heads // kv_heads
        offset = k_len - q_len  # queries are the last q_len positions
        block = min(q_len, self.block_size or max(1, DEFAULT_BLOCK_ELEMENTS // max(1, batch * heads * k_len)))
        key_t, q_buf, buffer = _workspace(query.device, (batch, kv_heads, dim, k_len), batch * heads * block * dim,
                                          batch * heads * block * k_len)
        key_t.copy_(key.transpose(-1, -2))  # [B, H_kv, D, k] fp32; slicing keys keeps BLAS strides
        rows = self.weights.shape[1]
        for a in range(0, q_len, block):
            b = min(q_len, a + block)
            n = b - a
            if self.sparse and not bool(self.weights[:, :, a:b].any()):
                continue  # no summed query in this block (`--queries answer`: all blocks but the last)
            m = None if mask is None else mask[:, :, a:b]
            k_max = k_len
            if causal and m is None:
                k_max = b + offset
            elif m is not None and m.dtype == torch.bool:
                used = m.any(dim=(0, 1, 2)).nonzero()
                k_max = int(used.max()) + 1 if used.numel() else 1  # keys no query of the block sees are skipped
            q = q_buf[:batch * heads * n * dim].view(batch, heads, n, dim)
            q.copy_(query[:, :, a:b]).mul_(scaling)  # fp32 first, then scaled: as `query.float() * scaling`
            q = q.view(batch, kv_heads, groups * n, dim)
            flat = buffer[:batch * heads * n * k_max].view(batch, kv_heads, groups * n, k_max)
            torch.matmul(q, key_t[..., :k_max], out=flat)
            scores = flat.view(batch, kv_heads, groups, n, k_max)
            if m is not None:
                m = m[..., :k_max].unsqueeze(2)  # [B|1, 1, 1, n, k]
                if m.dtype == torch.bool:
                    scores.masked_fill_(~m, float("-inf"))
                else:
                    scores.add_(m.float())
            elif causal:  # only the diagonal square of the block has future keys
                lo = a + offset
                q_pos = torch.arange(a, b, device=scores.device)[:, None] + offset
                future = torch.arange(lo, k_max, device=scores.device)[None] > q_pos
                scores[..., lo:].masked_fill_(future, float("-inf"))
            top = flat.amax(-1, keepdim=True)
            top.masked_fill_(top == float("-inf"), 0.0)  # a query that sees no key: exp(-inf) = 0 everywhere
            flat.sub_(top).exp_()
            # Σ_i w_i p_hij = Σ_i (w_i / z_hi) e_hij: fold the softmax denominator into the query weights, so the
            # block is never divided, and sum heads and queries in one matrix-vector product.
            z = flat.sum(-1).view(batch, 1, kv_heads, groups, n)
            w = self.weights[:, :, a:b].to(z.device)[:, :, None, None, :] / z
            w = torch.where(z > 0, w, torch.zeros_like(w))
            col = torch.bmm(w.reshape(batch, rows, heads * n), flat.view(batch, heads * n, k_max))
            self._add_cols(layer, col, heads)

    def results(self, rows: Sequence[Prepared], options: LawsOptions) -> list[LawsResult]:
        out = []
        for b, row in enumerate(rows):
            n = len(row.ids)
            cols = self.cols[:, b, :n].double().cpu()
            sinks_from = cols if self.sink_cols is None else self.sink_cols[:, b, :n].double().cpu()
            segments = row.segments if options.sinks == "include" else _without_sinks(row.segments, sinks_from)
            labels = torch.tensor(segments.labels, dtype=torch.long)
            masses = torch.zeros(len(LABEL_NAMES), cols.shape[0], dtype=torch.float64)
            masses.index_add_(0, labels, cols.T)
            n_queries = int(self.weights[b, 0].sum().item())
            if options.per_query_norm:
                masses /= max(1, n_queries)
            out.append(LawsResult(key=row.key, segments=segments, n_queries=n_queries,
                                  masses=tuple(tuple(float(v) for v in m) for m in masses.tolist())))
        return out


def _workspace(device, key_shape: tuple[int, ...], q_elements: int, score_elements: int):
    """One fp32 allocation for a layer's transposed keys, query block and block scores (every block reuses it, in
    place), freed when the layer's `add_blocks` returns. Not kept across layers: it would be held through the MLP,
    where a forward peaks, and add its size to the peak (issue 21). One chunk rather than three and nothing large
    per block: fewer large allocations for the allocator to place among the model's activations."""
    sizes = [math.prod(key_shape), q_elements, score_elements]
    padded = [-(-size // 16) * 16 for size in sizes]  # 64-byte aligned parts for BLAS
    work = torch.empty(sum(padded), dtype=torch.float32, device=device)
    parts = [part[:size] for part, size in zip(work.split(padded), sizes)]
    return parts[0].view(key_shape), parts[1], parts[2]


def sink_positions(cols: torch.Tensor) -> list[int]:
    """Attention sinks of one sample from its per-layer column masses [L, n]: position 0, and every token that takes
    at least SINK_SHARE of its layer's mass in at least half of the layers."""
    share = cols / cols.sum(1, keepdim=True).clamp_min(1e-12)
    dominant = ((share >= SINK_SHARE).sum(0) * 2 >= cols.shape[0]).nonzero().flatten().tolist()
    return sorted({0, *dominant}) if cols.shape[1] else []


def _without_sinks(segments: Segments, cols: torch.Tensor) -> Segments:
    """The sample's sinks relabelled `sink` (image tokens stay image: a sink inside the image is still image)."""
    labels = list(segments.labels)
    for pos in sink_positions(cols):
        if labels[pos] != IMAGE:
            labels[pos] = SINK
    return Segments(labels=tuple(labels), excluded=segments.excluded)


def run_batches(prepared: Sequence[Prepared], options: LawsOptions, n_layers: int,
                make_inputs: Callable[[Sequence[Prepared]], dict[str, Any]],
                forward: Callable[[dict[str, Any], ColumnMass], None]) -> list[LawsResult]:
    """Masses of every usable sample (longest first, `options.batch_size` per pass); excluded samples get an
    empty result with their reason. Results come back in input order."""
    out: dict[int, LawsResult] = {}
    usable = sorted((i for i, p in enumerate(prepared) if p.segments.excluded is None),
                    key=lambda i: (-len(prepared[i].ids), i))
    for start in range(0, len(usable), options.batch_size):
        chunk = usable[start:start + options.batch_size]
        rows = [prepared[i] for i in chunk]
        inputs = make_inputs(rows)
        mask = inputs["attention_mask"]
        selected = None
        if options.queries != "all":  # rows are right-padded: prepared positions are batch positions
            selected = torch.zeros_like(mask)
            for b, row in enumerate(rows):
                selected[b, query_start(row.segments.labels, options.queries):len(row.ids)] = 1
        mass = ColumnMass(n_layers, mask, options.head_reduction, options.block_size, selected,
                          sink_rows=options.sinks == "exclude")
        with torch.inference_mode():
            forward(inputs, mass)
        if mass.seen != set(range(n_layers)):
            raise RuntimeError(f"attention of layers {sorted(set(range(n_layers)) - mass.seen)} was not captured")
        for i, result in zip(chunk, mass.results(rows, options)):
            out[i] = result
    for i, p in enumerate(prepared):
        out.setdefault(i, LawsResult(key=p.key, segments=p.segments))
    return [out[i] for i in range(len(prepared))]
