"""Prefix-shared continuation scoring for the `hf` (image-text-to-text) adapter: each dialogue, images included, is
read once with a KV cache, then only the candidates' own tokens run (as `prefix_share` does for hf-causal).

Planning is `prefix_share`'s: candidates of one request form a group whose prefix is their longest common prefix of
token ids (after image expansion). Per batch of groups:

1. Prefix pass: the processor collates the full text of one member per group (left-padded: it knows how its family
   batches images, grids, pixel masks and token-type ids); every per-token tensor is then cut to the group's prefix
   and re-aligned so each row ends at the last column. Images always lie inside the prefix (a group whose candidates
   hold an image-marker token is scored the naive way). Positions are explicit: the cumsum of the mask, or the
   family's 3-D M-RoPE positions (`get_rope_index`, Qwen2-VL) when the batch has image grids. Gemma3's
   bidirectional image attention comes from `token_type_ids`, which only the prefix pass needs.
2. Suffix pass: the cache is expanded to one row per candidate with two or more tokens after the prefix
   (`Cache.batch_select_indices`); each runs `ids[L:-1]` with positions continuing from its prefix's last position
   (the last prefix token is text, so all three M-RoPE axes continue together), without pixels or token types.

Families whose exactness is verified by the tests (`SHARED_FAMILIES`) use this path; others fall back to the naive
path (`hf_vlm_batch.forward_scores`), which `sharing_support` reports. Results equal the naive path to float
rounding (about 1e-6 in fp32).
"""

from __future__ import annotations

import inspect
from collections.abc import Hashable, Sequence
from typing import Any

import torch

from iitbench.errors import ModelError
from iitbench.models.hf_loglik import ScoreSeq, SeqScore
from iitbench.models.hf_vlm_batch import Row, aligned_keys, collate, forward_scores
from iitbench.models.prefix_share import (
    PrefixGroup,
    TokenTally,
    count_unique,
    gather_chunk,
    plan_groups,
    suffix_pass,
    supports_prefix_sharing,
)

# model_type values whose shared scores the tests compare with the naive path (LLaVA, Qwen2-VL's M-RoPE, Idefics3's
# tiled images, Gemma3's bidirectional image mask and sliding-window layers).
SHARED_FAMILIES = frozenset({"llava", "qwen2_vl", "idefics3", "gemma3"})
# Config attributes naming tokens that the processor expands into (or that delimit) an image.
_IMAGE_TOKEN_KEYS = ("image_token_id", "image_token_index", "video_token_id", "boi_token_index", "eoi_token_index",
                     "vision_start_token_id", "vision_end_token_id")


def sharing_support(model: Any) -> str | None:
    """None when prefix sharing is exact for `model`'s family, else why the naive path is used."""
    family = getattr(model.config, "model_type", None)
    if family not in SHARED_FAMILIES:
        return f"family {family!r} is not verified exact for prefix sharing; naive path"
    if not supports_prefix_sharing(model):
        return "the forward takes no position_ids or cache; naive path"
    return None


def _image_tokens(model: Any) -> set[int]:
    found = set()
    for config in (model.config, getattr(model.config, "text_config", None)):
        for key in _IMAGE_TOKEN_KEYS:
            value = getattr(config, key, None)
            if isinstance(value, int):
                found.add(value)
    return found


def _rope_index(model: Any):
    """The family's 3-D position builder (`get_rope_index`: Qwen2-VL and its kin), or None for 1-D positions."""
    for owner in (getattr(model, "model", None), model):
        fn = getattr(owner, "get_rope_index", None)
        if callable(fn):
            return fn
    return None


def _prefix_batch(processor: Any, reps: Sequence[Row], chunk: Sequence[PrefixGroup], pad_id: int) -> dict[str, Any]:
    """The processor's left-padded batch of the representatives, per-token tensors cut to each group's prefix."""
    batch = collate(processor, reps, "left")
    width = batch["input_ids"].shape[1]
    new_width = max(len(g.prefix) for g in chunk)
    for key in aligned_keys(batch):
        old = batch[key]
        new = old.new_full((len(reps), new_width, *old.shape[2:]), pad_id if key == "input_ids" else 0)
        for r, (row, group) in enumerate(zip(reps, chunk)):
            start = width - row.length + row.drop  # first kept real token (left padding; text-only rows may be cut)
            n = len(group.prefix)
            new[r, new_width - n:] = old[r, start:start + n]
        batch[key] = new
    for r, group in enumerate(chunk):
        if batch["input_ids"][r, new_width - len(group.prefix):].tolist() != list(group.prefix):
            raise ModelError("the processor's batch does not match the tokens it gave for the row alone; "
                             "pass --model-args prefix_sharing=false")
    return batch


def _positions(model: Any, batch: dict[str, Any]) -> torch.Tensor:
    """(B, W) positions of the left-padded prefixes, or (3, B, W) M-RoPE positions when the batch has images."""
    mask = batch["attention_mask"]
    rope_index = _rope_index(model)
    if rope_index is None or batch.get("image_grid_thw") is None:
        return (mask.cumsum(-1) - 1).clamp(min=0)
    params = inspect.signature(rope_index).parameters
    args = {k: v for k, v in batch.items() if k in params}
    positions, _ = rope_index(**args)
    last = positions[:, :, -1]
    if not bool((last == last[0]).all()):  # the suffix continues all three axes together from a text token
        raise ModelError("a prefix ends on an image token; pass --model-args prefix_sharing=false")
    return positions


def _prefix_pass(model: Any, batch: dict[str, Any], keep: int, device: Any):
    positions = _positions(model, batch)
    kwargs = {k: (v.to(device) if isinstance(v, torch.Tensor) else v) for k, v in batch.items()}
    if "logits_to_keep" in inspect.signature(model.forward).parameters:
        kwargs["logits_to_keep"] = keep
    out = model(**kwargs, position_ids=positions.to(device), use_cache=True)
    tail = torch.log_softmax(out.logits[:, -keep:].float(), dim=-1)
    cache = getattr(out, "cache", None)
    cache = cache if cache is not None else getattr(out, "past_key_values", None)
    return batch["attention_mask"], positions[..., -1], tail, cache


@torch.inference_mode()
def score_shared_vlm(model: Any, processor: Any, rows: Sequence[Row], seqs: Sequence[ScoreSeq],
                     groups: Sequence[Hashable], batch_size: int, pad_id: int, device: Any,
                     tally: TokenTally | None = None) -> list[SeqScore]:
    """Continuation scores of `rows` (as `forward_scores`), reading each group's shared prefix once.

    `seqs[i]` are row i's token ids after its `drop` (context `ids[:cont_start]`); `groups[i]` names the rows that
    share a dialogue; `batch_size` counts groups per prefix pass. Results are in input order."""
    out: list[SeqScore | None] = [None] * len(seqs)
    markers = _image_tokens(model)
    plan, naive = [], []
    for group in plan_groups(seqs, groups):  # a candidate holding an image marker could split an image: naive
        if any(markers.intersection(seqs[i].ids[len(group.prefix):]) for i in group.members):
            naive.extend(group.members)
        else:
            plan.append(group)
    order = sorted(range(len(plan)), key=lambda g: (-len(plan[g].prefix), g))
    step = max(1, batch_size)
    for start in range(0, len(order), step):
        chunk = [plan[g] for g in order[start:start + step]]
        batch = _prefix_batch(processor, [rows[g.members[0]] for g in chunk], chunk, pad_id)
        mask, last, tail, cache = _prefix_pass(model, batch, max(g.keep for g in chunk), device)
        pairs = [(g, i) for g, grp in enumerate(chunk) for i in grp.members if len(seqs[i].ids) - len(grp.prefix) >= 2]
        suffix = suffix_pass(model, seqs, pairs, chunk, mask, last, cache, pad_id, device) if pairs else None
        gather_chunk(out, seqs, chunk, pairs, tail, suffix, tally)
    if naive:
        for i, score in zip(naive, forward_scores(model, processor, [rows[i] for i in naive], batch_size, device)):
            out[i] = score
        if tally is not None:
            tally.forwarded += sum(len(seqs[i].ids) for i in naive)
    if tally is not None:
        tally.unique += count_unique(seqs, groups)
    return out  # type: ignore[return-value]
