"""Exact continuation scoring that reads each shared dialogue prefix once (KV cache), then only the candidates' tokens.

The sequences of one group (the candidates of one request, or raw-text requests with the same context) share a
prefix of `L` tokens: their longest common prefix (the context, as `split_point` makes every candidate's
`ids[:cont_start]` the context's, and possibly more: " A" and " B" may share a space token), leaving each at least one
token. Per batch of groups:

1. Prefix pass: the groups' prefixes `ids[:L]`, LEFT-padded so every row ends at the last column, with explicit
   `position_ids` (cumsum of the mask) so each token sits where it would unpadded; `use_cache=True`; the logits of
   the last few columns are kept (`logits_to_keep`). The last column predicts token `L` of every candidate, so a
   candidate with a single token after the prefix (the default letters "A".."D") is scored with NO further forward.
2. Suffix pass (only candidates with two or more tokens after the prefix): the cache is expanded to one row per such
   candidate (`Cache.batch_select_indices`), and each runs just `ids[L:-1]` (the last token is predicted, never
   read), right-padded, positions continuing from `L`, attending to its group's prefix through the cache. The rows
   are sorted by suffix length and cut into passes of similar width (`split_rows`: fewest padded positions plus a
   cost per pass), so options of very different lengths (HellaSwag) are not all padded to the longest.

We chose cache expansion over packing candidates with a block mask: it needs no custom 4-D masks, so it works with
every attention implementation that honours a padding mask and a cache (SDPA, eager, flash). A model that keeps more
per-row state on its cache must select it with the rows (WINGS: `WingsCache`). Log-probabilities are fp32; results
equal the naive path (`hf_loglik.score_sequences`) up to float rounding (about 1e-6 in fp32).

`TokenTally` counts tokens forwarded (real tokens fed to the model, padding excluded) and unique tokens (the size
of the token trie of each group's sequences without their last token: what any exact method must read at least
once). The naive path forwards every candidate's whole sequence, so its ratio is about the number of candidates.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from iitbench.errors import ModelError
from iitbench.models.hf_loglik import ScoreSeq, SeqScore, _accepts_logits_to_keep


@dataclass
class TokenTally:
    """Running counts for `describe()`: tokens the model read vs the unique tokens of the requests."""

    forwarded: int = 0
    unique: int = 0

    def to_json(self) -> dict[str, int]:
        return {"tokens_forwarded": self.forwarded, "tokens_unique": self.unique}


@dataclass(frozen=True)
class PrefixGroup:
    """Sequences (indices into the caller's list) that share `prefix`; each has at least one token after it.
    `keep`: how many of the prefix's last positions predict a scored token (their logits are kept)."""

    prefix: tuple[int, ...]
    members: tuple[int, ...]
    keep: int


def _common_length(seqs: Sequence[ScoreSeq], members: Sequence[int]) -> int:
    """Longest common prefix of the members' tokens, leaving every member at least one token after it."""
    n = min(len(seqs[i].ids) - 1 for i in members)
    first = seqs[members[0]].ids
    for i in members[1:]:
        ids = seqs[i].ids
        k = 0
        while k < n and ids[k] == first[k]:
            k += 1
        n = k
    return n


def _group(seqs: Sequence[ScoreSeq], members: Sequence[int], n: int) -> PrefixGroup:
    first_scored = min(seqs[i].cont_start for i in members)
    return PrefixGroup(prefix=seqs[members[0]].ids[:n], members=tuple(members), keep=max(1, n - first_scored + 1))


def trie_size(seqs: Sequence[ScoreSeq], members: Sequence[int]) -> int:
    """Distinct token prefixes among the members' input tokens (each sequence without its last token)."""
    nodes = {seqs[i].ids[:k] for i in members for k in range(1, len(seqs[i].ids))}
    return len(nodes)


def plan_groups(seqs: Sequence[ScoreSeq], groups: Sequence[Hashable]) -> list[PrefixGroup]:
    """Group sequences by `groups[i]` and find each group's shared prefix (which may reach into the candidates: " A"
    and " B" can share a space token); a group whose members share no token (e.g. after different left
    truncations) is split into one group per sequence. Sequences need a continuation token and cont_start >= 1."""
    by_key: dict[Hashable, list[int]] = {}
    for i, key in enumerate(groups):
        if seqs[i].cont_start < 1 or len(seqs[i].ids) <= seqs[i].cont_start:
            raise ValueError(f"sequence {i}: needs 1 <= cont_start < len(ids) (an empty context gets a start token)")
        by_key.setdefault(key, []).append(i)
    plan: list[PrefixGroup] = []
    for members in by_key.values():
        n = _common_length(seqs, members)
        if n >= 1:
            plan.append(_group(seqs, members, n))
        else:
            plan.extend(_group(seqs, [i], len(seqs[i].ids) - 1) for i in members)
    return plan


def count_unique(seqs: Sequence[ScoreSeq], groups: Sequence[Hashable]) -> int:
    by_key: dict[Hashable, list[int]] = {}
    for i, key in enumerate(groups):
        by_key.setdefault(key, []).append(i)
    return sum(trie_size(seqs, m) for m in by_key.values())


def _prefix_pass(model: Any, chunk: list[PrefixGroup], pad_id: int, device: Any, slim: bool,
                 extra: dict[str, Any] | None = None):
    """Left-padded prefixes with their true positions: (mask, last position per row, log-probs of the last `max keep`
    positions (B, K, V), cache).
    `extra`: more inputs of this pass only (an image model's pixel values: its image tokens are in the prefixes)."""
    width = max(len(g.prefix) for g in chunk)
    ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(chunk), width), dtype=torch.long)
    for row, g in enumerate(chunk):  # left padding: every prefix ends at the last column
        ids[row, width - len(g.prefix):] = torch.tensor(g.prefix, dtype=torch.long)
        mask[row, width - len(g.prefix):] = 1
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    keep = max(g.keep for g in chunk)
    kwargs = {"logits_to_keep": keep} if slim else {}
    out = model(input_ids=ids.to(device), attention_mask=mask.to(device), position_ids=positions.to(device),
                use_cache=True, **kwargs, **(extra or {}))
    tail = torch.log_softmax(out.logits[:, -keep:].float(), dim=-1)
    cache = getattr(out, "cache", None)  # transformers >= 5.x names it `cache`; earlier `past_key_values`
    return mask, positions[:, -1], tail, cache if cache is not None else getattr(out, "past_key_values", None)


def supports_prefix_sharing(model: Any) -> bool:
    """The forward takes explicit positions and a KV cache (else the naive path must be used)."""
    try:
        params = inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return False
    return "position_ids" in params and ("cache" in params or "past_key_values" in params)


def _cache_kwarg(model: Any) -> str:
    try:
        params = inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return "past_key_values"
    return "cache" if "cache" in params else "past_key_values"


PASS_COST = 32  # one more suffix forward is worth this many padded positions (split heuristic, `split_rows`)


def split_rows(lengths: Sequence[int], pass_cost: int = PASS_COST) -> list[list[int]]:
    """Cut suffix rows into passes of similar width: the row indices, sorted by length (ties in input order), cut into
    contiguous runs minimising sum(rows x widest row) + pass_cost x passes (exact dynamic programme, O(n^2))."""
    order = sorted(range(len(lengths)), key=lambda r: (lengths[r], r))
    n = len(order)
    best = [0] + [0] * n  # best[k]: cost of the first k sorted rows
    cut = [0] * (n + 1)
    for k in range(1, n + 1):
        width = lengths[order[k - 1]]  # the widest of any run ending at row k
        best[k], cut[k] = min((best[j] + (k - j) * width + pass_cost, j) for j in range(k))
    passes, k = [], n
    while k > 0:
        passes.append(order[cut[k]:k])
        k = cut[k]
    return passes[::-1]


def _one_suffix_pass(model: Any, seqs: Sequence[ScoreSeq], rows: Sequence[tuple[int, int]],
                     chunk: Sequence[PrefixGroup], mask: torch.Tensor, last: torch.Tensor, cache: Any, pad_id: int,
                     device: Any) -> torch.Tensor:
    width = max(len(seqs[i].ids) - 1 - len(chunk[g].prefix) for g, i in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    suffix_mask = torch.zeros((len(rows), width), dtype=mask.dtype)
    for r, (g, i) in enumerate(rows):
        part = seqs[i].ids[len(chunk[g].prefix):-1]
        ids[r, :len(part)] = torch.tensor(part, dtype=torch.long)
        suffix_mask[r, :len(part)] = 1
    select = torch.tensor([g for g, _ in rows], dtype=torch.long)
    positions = last[..., select, None] + torch.arange(1, width + 1)  # (rows, width) or (3, rows, width)
    cache.batch_select_indices(select.to(device))  # one cache row per candidate (in place)
    full_mask = torch.cat([mask[select], suffix_mask], dim=1)
    out = model(input_ids=ids.to(device), attention_mask=full_mask.to(device), position_ids=positions.to(device),
                use_cache=True, **{_cache_kwarg(model): cache})
    return torch.log_softmax(out.logits.float(), dim=-1)


def suffix_pass(model: Any, seqs: Sequence[ScoreSeq], rows: Sequence[tuple[int, int]], chunk: Sequence[PrefixGroup],
                mask: torch.Tensor, last: torch.Tensor, cache: Any, pad_id: int, device: Any,
                pass_cost: int = PASS_COST) -> list[torch.Tensor]:
    """Log-probs (width_r, vocab) of each (group row, sequence) in `rows` running `ids[L:-1]` over its group's cache,
    in `rows` order. `last`: each prefix row's last position, (groups,) or (3, groups) for M-RoPE; the suffix
    continues from it. The rows are sorted by suffix length and cut into passes of similar width (`split_rows`), so
    a pass pads little; every pass but the last runs on a copy of the prefix cache (the last consumes `cache`).
    A row's log-probs do not depend on the rows beside it (up to float rounding), so neither on the split."""
    if not hasattr(cache, "batch_select_indices"):
        raise ModelError(f"{type(model).__name__} returns no batch-selectable KV cache; pass --model-args "
                         f"prefix_sharing=false")
    lengths = [len(seqs[i].ids) - 1 - len(chunk[g].prefix) for g, i in rows]
    passes = split_rows(lengths, pass_cost)
    result: list[torch.Tensor | None] = [None] * len(rows)
    for n, members in enumerate(passes):
        own = cache if n == len(passes) - 1 else copy.deepcopy(cache)
        logp = _one_suffix_pass(model, seqs, [rows[r] for r in members], chunk, mask, last, own, pad_id, device)
        for k, r in enumerate(members):
            result[r] = logp[k, :lengths[r]]
    return result  # type: ignore[return-value]


def _score(seq: ScoreSeq, n_prefix: int, tail: torch.Tensor, suffix: torch.Tensor | None) -> SeqScore:
    """Gather the continuation's log-probs: logit position p < n_prefix is column p - n_prefix of the prefix pass's
    kept tail; later positions are the suffix pass's (row `suffix`)."""
    lps, hits = [], []
    for t in range(seq.cont_start, len(seq.ids)):
        p = t - 1
        row = tail[tail.shape[0] - n_prefix + p] if p < n_prefix else suffix[p - n_prefix]  # type: ignore[index]
        lps.append(row[seq.ids[t]])
        hits.append(int(row.argmax()) == seq.ids[t])
    return SeqScore(loglik=float(torch.stack(lps).double().sum()), n_tokens=len(lps), is_greedy=all(hits))


def gather_chunk(out: list, seqs: Sequence[ScoreSeq], chunk: Sequence[PrefixGroup], rows: Sequence[tuple[int, int]],
                 tail: torch.Tensor, suffix: Sequence[torch.Tensor] | None, tally: TokenTally | None) -> None:
    """Fill `out[i]` for every member of a chunk of groups from its prefix-pass tail (`tail[g]`) and, for the
    (group row, sequence) pairs in `rows`, its suffix-pass row; count the tokens both passes read."""
    where = {i: r for r, (_, i) in enumerate(rows)}
    for g, grp in enumerate(chunk):
        for i in grp.members:
            out[i] = _score(seqs[i], len(grp.prefix), tail[g],
                            suffix[where[i]] if i in where else None)  # type: ignore[index]
    if tally is not None:
        tally.forwarded += sum(len(g.prefix) for g in chunk)
        tally.forwarded += sum(len(seqs[i].ids) - 1 - len(chunk[g].prefix) for g, i in rows)


@torch.inference_mode()
def score_shared(model: Any, seqs: Sequence[ScoreSeq], groups: Sequence[Hashable], batch_size: int, pad_id: int,
                 device: Any, tally: TokenTally | None = None,
                 prefix_inputs: Callable[[Sequence[PrefixGroup]], dict[str, Any]] | None = None) -> list[SeqScore]:
    """Continuation log-likelihoods of `seqs` (as `hf_loglik.score_sequences`), reading each group's shared
    prefix once. `batch_size` counts prefix groups per forward; results are in input order. `prefix_inputs(chunk)`:
    extra model inputs for the prefix pass of those groups, in row order (e.g. the images of an image model); the
    sequences of one group must then share them (group by request)."""
    out: list[SeqScore | None] = [None] * len(seqs)
    for i, seq in enumerate(seqs):  # nothing to score (as the naive path: 0 over 0 tokens)
        if len(seq.ids) <= seq.cont_start:
            out[i] = SeqScore(loglik=0.0, n_tokens=0)
    live = [i for i in range(len(seqs)) if out[i] is None]
    plan = [PrefixGroup(prefix=g.prefix, members=tuple(live[m] for m in g.members), keep=g.keep)
            for g in plan_groups([seqs[i] for i in live], [groups[i] for i in live])]
    order = sorted(range(len(plan)), key=lambda g: (-len(plan[g].prefix), g))  # similar lengths share a batch
    slim = _accepts_logits_to_keep(model)
    step = max(1, batch_size)
    for start in range(0, len(order), step):
        chunk = [plan[g] for g in order[start:start + step]]
        extra = prefix_inputs(chunk) if prefix_inputs is not None else None
        mask, last, tail, cache = _prefix_pass(model, chunk, pad_id, device, slim, extra)
        rows = [(g, i) for g, grp in enumerate(chunk) for i in grp.members
                if len(seqs[i].ids) - len(grp.prefix) >= 2]
        suffix = suffix_pass(model, seqs, rows, chunk, mask, last, cache, pad_id, device) if rows else None
        gather_chunk(out, seqs, chunk, rows, tail, suffix, tally)
    if tally is not None:
        tally.unique += count_unique(seqs, groups)
    return out  # type: ignore[return-value]


def tally_naive(seqs: Sequence[ScoreSeq], groups: Sequence[Hashable], tally: TokenTally | None) -> None:
    """The naive path's counts: every sequence forwarded whole."""
    if tally is not None:
        tally.forwarded += sum(len(s.ids) for s in seqs)
        tally.unique += count_unique(seqs, groups)
