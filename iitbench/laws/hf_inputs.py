"""Samples of the `hf` (VLM) and `hf-causal` adapters tokenised with segment labels, and their batched inputs.

VLM: the processor expands image placeholders inside the prompt string before tokenising; we record that string
(a transparent proxy around its tokenizer), tokenise it once with offsets, and require the ids to equal the
processor's. Causal: the prompt is tokenised once with offsets (image parts are not rendered, so the segments are
the content text before / after where the image stood, and there is no image segment).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from iitbench.errors import ModelError
from iitbench.laws.collect import Prepared
from iitbench.laws.protocol import LawsOptions, LawsRequest, Segments
from iitbench.laws.segments import content_layout, label_tokens, marker_ids


class _Recorder:
    """Stands in for a processor's tokenizer and records the text(s) it is asked to tokenise."""

    def __init__(self, tokenizer):
        self._tokenizer, self.texts = tokenizer, []

    def __call__(self, text=None, *args, **kwargs):
        self.texts.append(text)
        return self._tokenizer(text, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._tokenizer, name)


def expanded_text(processor, prompt: str, images: tuple) -> tuple[list[int], str]:
    """(input ids, the exact string the processor tokenised) for one prompt."""
    real = processor.tokenizer
    recorder = _Recorder(real)
    processor.tokenizer = recorder
    try:
        out = processor(text=[prompt], images=[list(images)] if images else None, add_special_tokens=False)
    finally:
        processor.tokenizer = real
    seen = [t for t in recorder.texts if t is not None]
    text = seen[-1] if seen else None
    text = text[0] if isinstance(text, (list, tuple)) and len(text) == 1 else text
    if not isinstance(text, str):
        raise ModelError(f"LAWS: the processor {type(processor).__name__} did not tokenise one prompt string")
    return [int(t) for t in out["input_ids"][0]], text


def image_token_id(config) -> int | None:
    for key in ("image_token_id", "image_token_index"):
        value = getattr(config, key, None)
        if isinstance(value, int):
            return value
    return None


def _offsets(tokenizer, text: str, ids: Sequence[int], prefix: Sequence[int] = ()) -> list[tuple[int, int]] | None:
    if not getattr(tokenizer, "is_fast", False):
        return None  # only fast tokenizers give offsets; the sample is then excluded with a reason
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    if list(prefix) + list(enc["input_ids"]) != list(ids):
        return None
    return [(0, 0)] * len(prefix) + [tuple(o) for o in enc["offset_mapping"]]


def _window_reason(adapter, n: int) -> str | None:
    window = getattr(adapter, "window", None)
    return f"{n} tokens exceed the model window of {window}" if window is not None and n > window else None


def prepare_vlm(adapter, requests: Sequence[LawsRequest], options: LawsOptions) -> list[Prepared]:
    config = adapter.model.config
    image_id = image_token_id(config)
    markers = marker_ids(adapter.tokenizer, config, image_id if image_id is not None else -1)
    out = []
    for req in requests:
        reason = adapter.accepts(req.messages)
        if reason is not None:
            out.append(Prepared(req.key, (), Segments(labels=(), excluded=reason)))
            continue
        images = adapter.images(req.messages)
        layout = content_layout(adapter.render, req.messages)
        prompt = adapter.render(req.messages)
        ids, text = expanded_text(adapter.processor, prompt, images)
        offsets = _offsets(adapter.tokenizer, text, ids)
        if offsets is None and not isinstance(layout, str):
            layout = "the tokenizer gives no offsets matching the processor's ids (needs a fast tokenizer)"
        segments = label_tokens(ids, offsets, text, layout, image_id, markers, options.segments)
        too_long = _window_reason(adapter, len(ids))
        if too_long:
            segments = Segments(labels=segments.labels, excluded=too_long)
        out.append(Prepared(req.key, tuple(ids), segments, payload=(prompt, images)))
    return out


def vlm_inputs(adapter, rows: Sequence[Prepared]) -> dict[str, Any]:
    """Right-padded batch built by the processor (it knows its family's extra inputs); ids checked per row."""
    any_images = any(r.payload[1] for r in rows)
    batch = dict(adapter.processor(text=[r.payload[0] for r in rows],
                                   images=[list(r.payload[1]) for r in rows] if any_images else None,
                                   padding=True, padding_side="right", add_special_tokens=False,
                                   return_tensors="pt"))
    for i, r in enumerate(rows):
        n = len(r.ids)
        if batch["input_ids"][i, :n].tolist() != list(r.ids) or int(batch["attention_mask"][i].sum()) != n:
            raise ModelError(f"LAWS: the processor tokenised {r.key} differently in a batch; use --batch-size 1")
    return {k: (v.to(adapter.device) if isinstance(v, torch.Tensor) else v) for k, v in batch.items()} | \
        {"use_cache": False, "logits_to_keep": 1}


def prepare_causal(adapter, requests: Sequence[LawsRequest], options: LawsOptions) -> list[Prepared]:
    tok = adapter.tokenizer
    prefix = tuple(getattr(adapter, "prefix_ids", ()) or ())
    out = []
    for req in requests:
        layout = content_layout(adapter.render, req.messages)
        prompt = adapter.render(req.messages)
        ids = prefix + tuple(tok(prompt, add_special_tokens=False)["input_ids"])
        offsets = _offsets(tok, prompt, ids, prefix)
        if offsets is None and not isinstance(layout, str):
            layout = "the tokenizer gives no offsets (needs a fast tokenizer)"
        segments = label_tokens(ids, offsets, prompt, layout, None, frozenset(), options.segments)
        too_long = _window_reason(adapter, len(ids))
        if too_long:
            segments = Segments(labels=segments.labels, excluded=too_long)
        out.append(Prepared(req.key, ids, segments))
    return out


def causal_inputs(adapter, rows: Sequence[Prepared]) -> dict[str, Any]:
    width = max(len(r.ids) for r in rows)
    ids = torch.full((len(rows), width), adapter.pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r.ids)] = torch.tensor(r.ids)
        mask[i, :len(r.ids)] = 1
    return {"input_ids": ids.to(adapter.device), "attention_mask": mask.to(adapter.device), "use_cache": False,
            "logits_to_keep": 1}
