"""One model over the text prompts: the answer-position logits and, per decoder layer, the hidden state at the
answer position, chunk by chunk into the work store (never the S x d states of a batch, never a whole suite's
arrays in memory: one chunk of `CHUNK_ITEMS` items at a time).

The second model's pass (the base) also computes each item's KL/JS against the first model's stored logits as its
chunks are made, so the base's logits are never stored. Within a chunk, prompts run longest first in right-padded
batches of `batch_size`; a causal model sees no padding before its last real token, so results do not depend on
the batch size beyond float rounding.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from iitbench.diagnose.access import LayerTap, ModelInfo
from iitbench.diagnose.divergence import divergences
from iitbench.diagnose.files import WorkStore
from iitbench.diagnose.options import CHUNK_ITEMS
from iitbench.diagnose.prompts import Encoded, TextPrompt, batch_inputs, encode


@dataclass(frozen=True)
class TextPass:
    """What one pass must leave in each chunk."""

    logits: bool  # the answer-position logits [c, V] (the MLLM's, for the base pass to compare against)
    states: bool  # per-layer answer-position states [L, c, d] (CKA)
    against: WorkStore | None = None  # compare with these chunks' logits: per-item kl / kl_reverse / js

    @property
    def needs(self) -> set[str]:
        return {n for n, on in (("logits", self.logits), ("states", self.states),
                                ("divergence", self.against is not None)) if on}


def chunks(prompts: Sequence[TextPrompt]) -> list[list[TextPrompt]]:
    return [list(prompts[i:i + CHUNK_ITEMS]) for i in range(0, len(prompts), CHUNK_ITEMS)]


def _ids_sha(ids: Sequence[int]) -> str:
    return hashlib.sha256(np.asarray(ids, dtype=np.int64).tobytes()).hexdigest()[:16]


def _forward(adapter, family: str, rows: Sequence[Encoded], states: np.ndarray | None, where: list[int]) -> np.ndarray:
    """Answer-position logits [B, V] (float32) of one batch; per-layer answer states written into states[:, where]."""
    inputs = batch_inputs(adapter, family, rows)
    lengths = [len(r.ids) for r in rows]
    width = int(inputs["input_ids"].shape[1])
    keep = width - min(lengths) + 1  # logits from the earliest last position on: rows are sorted, so few
    inputs["logits_to_keep"] = keep
    device = inputs["input_ids"].device
    last = torch.tensor([n - 1 for n in lengths], device=device)
    rows_at = torch.arange(len(rows), device=device)

    def reduce(layer: int, hidden: torch.Tensor) -> None:
        if states is not None:
            states[layer, where, :] = hidden[rows_at, last.to(hidden.device)].float().cpu().numpy()

    with torch.inference_mode(), LayerTap(adapter.model, reduce) as tap:
        out = adapter.model(**inputs)
    tap.check()
    logits = out.logits
    cols = (last - (width - keep)).to(logits.device)
    return logits[rows_at.to(logits.device), cols].float().cpu().numpy()


def run_text_pass(adapter, family: str, info: ModelInfo, prompts: Sequence[TextPrompt], store: WorkStore,
                  spec: TextPass, batch_size: int, bar=None) -> None:
    """Fill every chunk of `store` that lacks what `spec` needs (resume: done chunks are skipped)."""
    for index, chunk in enumerate(chunks(prompts)):
        keys = [p.key for p in chunk]
        if store.done(index, keys, spec.needs):
            if bar is not None:
                bar.update(len(chunk))
            continue
        encoded = [encode(adapter, family, p) for p in chunk]
        order = sorted(range(len(chunk)), key=lambda i: (-len(encoded[i].ids), i))
        states = np.zeros((info.n_layers, len(chunk), info.hidden_size), dtype=np.float32) if spec.states else None
        logits: np.ndarray | None = None
        for start in range(0, len(order), batch_size):
            where = order[start:start + batch_size]
            rows_logits = _forward(adapter, family, [encoded[i] for i in where], states, where)
            if logits is None:
                logits = np.zeros((len(chunk), rows_logits.shape[1]), dtype=np.float32)
            logits[where] = rows_logits
            if bar is not None:
                bar.update(len(where))
        arrays: dict[str, np.ndarray] = {}
        fields = {"ids_sha": [_ids_sha(e.ids) for e in encoded], "n_tokens": [len(e.ids) for e in encoded],
                  "truncated": [e.truncated for e in encoded], "width": int(logits.shape[1])}
        if spec.logits:
            arrays["logits"] = logits
        if states is not None:
            arrays["states"] = states
        if spec.against is not None:
            found = spec.against.meta(index)
            if found is None or found.get("keys") != keys:
                raise RuntimeError(f"work chunk {index} of the MLLM pass is missing or holds other items")
            div = divergences(spec.against.array(index, "logits"), logits)
            fields["divergence"] = {k: [None if np.isnan(v) else float(v) for v in vals] for k, vals in div.items()}
        store.write(index, keys, arrays, fields)


__all__ = ["TextPass", "chunks", "run_text_pass"]
