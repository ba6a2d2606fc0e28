"""Continuation log-likelihoods with a Hugging Face causal LM, lm-eval style.

A candidate answer is scored as a continuation: encode the context and context+continuation; the continuation's tokens
are the tokens of the full string beyond the context's. Byte-level BPE can merge across the boundary (context
"the ans" + "wer" -> "the" "answer"); then the split moves back to the last token the two encodings share, so the
merged token (which holds some context characters) counts as continuation. The scored tokens are therefore always
exactly the tokens the model would read for the full string.

Scoring is batched over sequences (one per candidate), longest first, right-padded with an attention mask; only the
positions that predict continuation tokens get logits (`logits_to_keep`), so the vocabulary-sized tensor stays small.
Log-probabilities are taken in fp32 whatever the model dtype.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

WHITESPACE_MOVED = " \t"  # trailing characters of a context moved into its continuation (as lm-eval does)


@dataclass(frozen=True)
class ScoreSeq:
    """One sequence to score: `ids[cont_start:]` are the continuation tokens; `ids[:cont_start]` the context."""

    ids: tuple[int, ...]
    cont_start: int


@dataclass(frozen=True)
class SeqScore:
    loglik: float
    n_tokens: int
    is_greedy: bool = False  #: every continuation token is the argmax at its position (lm-eval's is_greedy)


def move_trailing_space(context: str, continuation: str) -> tuple[str, str]:
    """"Answer: " + "A" -> "Answer:" + " A": BPE vocabularies hold " A" as one token, not a lone trailing space."""
    stripped = context.rstrip(WHITESPACE_MOVED)
    return stripped, context[len(stripped):] + continuation


def split_point(context_ids: Sequence[int], full_ids: Sequence[int]) -> int:
    """Index in `full_ids` where the continuation starts: the length of the common prefix of both encodings."""
    n = 0
    for a, b in zip(context_ids, full_ids):
        if a != b:
            break
        n += 1
    return n


def truncate_left(seq: ScoreSeq, window: int) -> ScoreSeq | None:
    """Drop the oldest tokens so the sequence fits `window`; None if the continuation alone does not fit."""
    drop = len(seq.ids) - window
    if drop <= 0:
        return seq
    if drop >= seq.cont_start:
        return None
    return ScoreSeq(ids=seq.ids[drop:], cont_start=seq.cont_start - drop)


def _accepts_logits_to_keep(model: Any) -> bool:
    try:
        return "logits_to_keep" in inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return False


@torch.inference_mode()
def score_sequences(model: Any, seqs: Sequence[ScoreSeq], batch_size: int, pad_id: int,
                    device: str | torch.device) -> list[SeqScore]:
    """Sum of log-probs of each sequence's continuation tokens; results in input order, independent of batching."""
    out: list[SeqScore | None] = [None] * len(seqs)
    order = sorted(range(len(seqs)), key=lambda i: (-len(seqs[i].ids), i))
    slim = _accepts_logits_to_keep(model)
    for start in range(0, len(order), max(1, batch_size)):
        chunk = order[start:start + max(1, batch_size)]
        width = max(len(seqs[i].ids) for i in chunk)
        ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, i in enumerate(chunk):
            n = len(seqs[i].ids)
            ids[row, :n] = torch.tensor(seqs[i].ids, dtype=torch.long)
            mask[row, :n] = 1
        # Logit position p predicts token p + 1: keep only positions that predict some continuation token.
        needed = sorted({p for i in chunk for p in range(seqs[i].cont_start - 1, len(seqs[i].ids) - 1)})
        kwargs: dict[str, Any] = {}
        if slim and needed:
            kwargs["logits_to_keep"] = torch.tensor(needed, dtype=torch.long, device=device)
        logits = model(input_ids=ids.to(device), attention_mask=mask.to(device), use_cache=False, **kwargs).logits
        column = {p: k for k, p in enumerate(needed)} if "logits_to_keep" in kwargs else None
        logprobs = torch.log_softmax(logits.float(), dim=-1)
        for row, i in enumerate(chunk):
            seq = seqs[i]
            targets = list(range(seq.cont_start, len(seq.ids)))
            if not targets:
                out[i] = SeqScore(loglik=0.0, n_tokens=0)
                continue
            cols = [column[t - 1] for t in targets] if column is not None else [t - 1 for t in targets]
            rows = logprobs[row, torch.tensor(cols, device=logprobs.device)]
            wanted = torch.tensor([seq.ids[t] for t in targets], device=logprobs.device)
            lp = rows.gather(1, wanted[:, None])[:, 0]
            out[i] = SeqScore(loglik=float(lp.double().sum()), n_tokens=len(targets),
                              is_greedy=bool((rows.argmax(dim=-1) == wanted).all()))
    return out  # type: ignore[return-value]
