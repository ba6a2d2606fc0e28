"""Output-distribution shift at the answer position: KL and JS divergences of the next-token distributions.

Following the field's use of output-distribution shift on text as a forgetting signal (Zhu et al., "How to Teach
Large Multimodal Models New Skills", arXiv:2510.08564), per text item:

- `kl` = KL(P_base || P_mllm) = sum_v P_base(v) (log P_base(v) - log P_mllm(v)), in nats: the base's answer
  distribution is the reference, so this is the extra log-loss the MLLM pays on what the base would say.
- `kl_reverse` = KL(P_mllm || P_base), only when both output layers have the same width (otherwise ids the base
  lacks carry MLLM mass and the reverse KL is infinite); null otherwise.
- `js` = JS(P_base, P_mllm) = (KL(P_base || M) + KL(P_mllm || M)) / 2, M = (P_base + P_mllm) / 2, in [0, ln 2].

Full vocabulary, softmax and sums in float64 from the models' logits (stored as float32, which holds bf16/fp16
logits exactly). Vocabularies must agree: every token of the base tokenizer must have the same id in the MLLM's,
and the base's output width must not exceed the MLLM's. An MLLM that only adds tokens (LLaVA's `<image>`, padded
embedding rows) passes: the base gives those ids probability 0. Anything else is refused for this predictor.
"""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
from scipy.special import log_softmax

from iitbench.diagnose.options import NotComputable

LN2 = math.log(2.0)


def vocab_digest(vocab: dict[str, int]) -> str:
    return hashlib.sha256(json.dumps(sorted(vocab.items()), ensure_ascii=False).encode()).hexdigest()


def vocab_relation(mllm_vocab: dict[str, int], base_vocab: dict[str, int], mllm_width: int,
                   base_width: int) -> dict[str, object]:
    """How the two vocabularies relate, or NotComputable with the first difference found."""
    moved = [(tok, i) for tok, i in base_vocab.items() if mllm_vocab.get(tok) != i]
    if moved:
        tok, i = min(moved, key=lambda t: t[1])
        other = mllm_vocab.get(tok)
        where = "is missing from the MLLM's" if other is None else f"has id {other} in the MLLM's"
        raise NotComputable(f"the vocabularies differ ({len(moved)} of the base's {len(base_vocab)} tokens differ; "
                            f"base token {tok!r} (id {i}) {where}), so their next-token distributions are over "
                            f"different tokens")
    if base_width > mllm_width:
        raise NotComputable(f"the base's output layer has {base_width} ids, the MLLM's only {mllm_width}")
    identical = len(mllm_vocab) == len(base_vocab) and mllm_width == base_width
    return {"relation": "identical" if identical else "mllm extends base", "mllm_tokens": len(mllm_vocab),
            "base_tokens": len(base_vocab), "mllm_width": mllm_width, "base_width": base_width}


ROWS = 8  # rows per float64 block: a few [8, V] temporaries (~10 MiB each for a 152k vocabulary), not [chunk, V]


def divergences(mllm_logits: np.ndarray, base_logits: np.ndarray) -> dict[str, np.ndarray]:
    """Per-row `kl`, `kl_reverse` (NaN when the widths differ) and `js` of [B, V_mllm] and [B, V_base] logits."""
    parts = [_block(np.asarray(mllm_logits[a:a + ROWS]), np.asarray(base_logits[a:a + ROWS]))
             for a in range(0, len(mllm_logits), ROWS)]
    return {k: np.concatenate([p[k] for p in parts]) if parts else np.zeros(0) for k in ("kl", "kl_reverse", "js")}


def _block(mllm_logits: np.ndarray, base_logits: np.ndarray) -> dict[str, np.ndarray]:
    width = mllm_logits.shape[1]
    base = np.full((base_logits.shape[0], width), -np.inf, dtype=np.float64)
    base[:, :base_logits.shape[1]] = base_logits
    lb = log_softmax(base, axis=1)
    lm = log_softmax(np.asarray(mllm_logits, dtype=np.float64), axis=1)
    pb, pm = np.exp(lb), np.exp(lm)
    with np.errstate(invalid="ignore", divide="ignore"):
        kl = np.where(pb > 0, pb * (lb - lm), 0.0).sum(1)
        reverse = np.where(pm > 0, pm * (lm - lb), 0.0).sum(1) if base_logits.shape[1] == width else \
            np.full(len(kl), np.nan)
        lmix = np.log(0.5 * (pb + pm))
        js = 0.5 * (np.where(pb > 0, pb * (lb - lmix), 0.0).sum(1) + np.where(pm > 0, pm * (lm - lmix), 0.0).sum(1))
    # Rounding can leave -1e-17 for identical rows; divergences are >= 0 and JS <= ln 2 by definition.
    return {"kl": np.maximum(kl, 0.0), "kl_reverse": np.maximum(reverse, 0.0), "js": np.clip(js, 0.0, LN2)}


__all__ = ["LN2", "ROWS", "divergences", "vocab_digest", "vocab_relation"]
