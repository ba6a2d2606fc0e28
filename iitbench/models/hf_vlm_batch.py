"""Batched forward passes for the `hf` adapter: the processor collates each batch (it knows how its family pads
images, grids and token-type ids), we only cut text-only rows that exceed the window and pick the logits we need.

Rows are processed longest first so batches are dense; results come back in input order. Scores do not depend on
the batch size: right padding leaves every row's real tokens at the same positions, and padded keys are masked.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from iitbench.errors import ModelError
from iitbench.models.hf_loglik import SeqScore


@dataclass(frozen=True)
class Row:
    """One sequence: `text` (context, plus the candidate when scoring) with its images in dialogue order.

    `length` is its token count after image expansion, `cont_start` the first scored token, `drop` how many leading
    tokens to cut to fit the window (only ever non-zero for text-only rows)."""

    text: str
    images: tuple
    length: int
    cont_start: int
    drop: int = 0


def collate(processor: Any, rows: Sequence[Row], side: str) -> dict[str, Any]:
    any_images = any(r.images for r in rows)
    batch = processor(text=[r.text for r in rows], images=[list(r.images) for r in rows] if any_images else None,
                      padding=True, padding_side=side, add_special_tokens=False, return_tensors="pt")
    batch = dict(batch)
    lengths = batch["attention_mask"].sum(dim=1).tolist()
    for row, n in zip(rows, lengths):
        if n != row.length:  # the processor must tokenise a batch exactly as it tokenised the row alone
            raise ModelError(f"the processor gave {n} tokens for a row it tokenised as {row.length} alone; "
                             f"this model's processor is not batch-consistent, use --model-args batch_size=1")
    return batch


def aligned_keys(batch: dict[str, Any]) -> list[str]:
    """Keys holding one value per token (input_ids, attention_mask, token_type_ids, mm_token_type_ids, ...); per-image
    tensors (pixel_values, image_grid_thw, ...) never are, whatever their shape."""
    shape = tuple(batch["input_ids"].shape)
    return sorted(k for k, v in batch.items() if isinstance(v, torch.Tensor) and tuple(v.shape[:2]) == shape
                  and not k.startswith(("pixel", "image")))


def _cut_rows(batch: dict[str, Any], rows: Sequence[Row], pad_id: int, side: str) -> None:
    """Drop each row's `drop` oldest tokens in place, then remove the columns no row uses any more."""
    keys = aligned_keys(batch)
    width = batch["input_ids"].shape[1]
    for i, row in enumerate(rows):
        if not row.drop:
            continue
        for k in keys:
            t = batch[k]
            fill = pad_id if k == "input_ids" else 0
            if side == "right":  # real tokens at [0, length): shift left
                t[i, :row.length - row.drop] = t[i, row.drop:row.length].clone()
                t[i, row.length - row.drop:] = fill
            else:  # real tokens at [width - length, width): blank the first `drop` of them
                t[i, width - row.length:width - row.length + row.drop] = fill
    used = batch["attention_mask"].sum(dim=0) > 0
    cols = used.nonzero().flatten()
    lo, hi = int(cols.min()), int(cols.max()) + 1
    for k in keys:
        batch[k] = batch[k][:, lo:hi]


def _accepts(model: Any, name: str) -> bool:
    try:
        return name in inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return False


@torch.inference_mode()
def forward_scores(model: Any, processor: Any, rows: Sequence[Row], batch_size: int,
                   device: str | torch.device) -> list[SeqScore]:
    """Sum of fp32 log-probs of tokens `cont_start - drop ..` of every row, in input order."""
    out: list[SeqScore | None] = [None] * len(rows)
    order = sorted(range(len(rows)), key=lambda i: (-(rows[i].length - rows[i].drop), i))
    slim = _accepts(model, "logits_to_keep")
    pad_id = processor.tokenizer.pad_token_id if processor.tokenizer.pad_token_id is not None else 0
    for start in range(0, len(order), batch_size):
        chunk = [rows[i] for i in order[start:start + batch_size]]
        batch = collate(processor, chunk, "right")
        _cut_rows(batch, chunk, pad_id, "right")
        ids = batch["input_ids"]
        # Logit position p predicts token p + 1: keep only positions that predict some scored token.
        needed = sorted({p for r in chunk for p in range(r.cont_start - r.drop - 1, r.length - r.drop - 1)})
        kwargs: dict[str, Any] = {k: (v.to(device) if isinstance(v, torch.Tensor) else v) for k, v in batch.items()}
        if slim:
            kwargs["logits_to_keep"] = torch.tensor(needed, dtype=torch.long, device=device)
        logits = model(**kwargs, use_cache=False).logits
        column = {p: k for k, p in enumerate(needed)} if slim else {p: p for p in needed}
        logprobs = torch.log_softmax(logits.float(), dim=-1)
        for row_index, (i, r) in enumerate(zip(order[start:start + batch_size], chunk)):
            targets = range(r.cont_start - r.drop, r.length - r.drop)
            cols = torch.tensor([column[t - 1] for t in targets], device=logprobs.device)
            tokens = ids[row_index, list(targets)].to(logprobs.device)
            lp = logprobs[row_index, cols, tokens]
            out[i] = SeqScore(loglik=float(lp.double().sum()), n_tokens=len(targets))
    return out  # type: ignore[return-value]


@torch.inference_mode()
def generate_rows(model: Any, processor: Any, rows: Sequence[Row], max_new: Sequence[int],
                  stops: Sequence[tuple[str, ...]], batch_size: int, device: str | torch.device, pad_id: int,
                  eos_ids: list[int]) -> list[list[int]]:
    """Greedy new token ids of every row (left-padded batches), in input order; stop strings are cut by the caller."""
    from transformers import GenerationConfig

    out: list[list[int]] = [[] for _ in rows]
    order = sorted(range(len(rows)), key=lambda i: (-(rows[i].length - rows[i].drop), i))
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        chunk = [rows[i] for i in idx]
        batch = collate(processor, chunk, "left")
        _cut_rows(batch, chunk, pad_id, "left")
        width = batch["input_ids"].shape[1]
        steps = max(max_new[i] for i in idx)
        config = GenerationConfig(do_sample=False, max_new_tokens=steps, pad_token_id=pad_id,
                                  eos_token_id=eos_ids or None)
        kwargs = {k: (v.to(device) if isinstance(v, torch.Tensor) else v) for k, v in batch.items()}
        generated = model.generate(**kwargs, generation_config=config)
        for row_index, i in enumerate(idx):
            out[i] = generated[row_index, width:].tolist()[:max_new[i]]
    return out
