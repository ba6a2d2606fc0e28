"""WINGS (`wings:<dir>`, `wings-base`, the zoo's wings-tiny / llava-tiny): samples with segments, and the native
backend.

Prompts come from `WingsProcessor.render` (text pieces with one image between each two); each piece is tokenised
on its own with offsets, exactly as `WingsProcessor.encode` does, and the text the offsets index is the pieces
joined by `<image>` (image tokens point at that placeholder). Native backend: the model's own head-summed main
attention (`head_summed_callback`), reduced layer by layer as it is computed. The learner branches (LoRRA visual /
textual attention) are not part of LAWS: the paper's curves are over the main attention.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from iitbench.errors import ModelError
from iitbench.laws.collect import ColumnMass, Prepared
from iitbench.laws.protocol import LawsOptions, LawsRequest, Segments
from iitbench.laws.segments import content_layout, label_tokens, marker_ids
from iitbench.models.protocol import hf_conversation

PLACEHOLDER = "<image>"


def _pieces(adapter, messages) -> list[str]:
    try:
        pieces, _ = adapter.processor.render(hf_conversation(messages))
    except ValueError as e:
        raise ModelError(f"LAWS: {e}") from None
    return list(pieces)


def tokenise_pieces(processor, pieces: Sequence[str]) -> tuple[list[int], list[tuple[int, int]], str]:
    """(ids, offsets into the joined text, joined text): pieces tokenised separately, images in between."""
    ids: list[int] = []
    offsets: list[tuple[int, int]] = []
    text = ""
    for i, piece in enumerate(pieces):
        if i:
            ids.extend([processor.image_token_id] * processor.image_seq_length)
            offsets.extend([(len(text), len(text) + len(PLACEHOLDER))] * processor.image_seq_length)
            text += PLACEHOLDER
        enc = processor.tokenizer(piece, add_special_tokens=False, return_offsets_mapping=True)
        ids.extend(int(t) for t in enc["input_ids"])
        offsets.extend((len(text) + a, len(text) + b) for a, b in enc["offset_mapping"])
        text += piece
    return ids, offsets, text


def prepare_wings(adapter, requests: Sequence[LawsRequest], options: LawsOptions) -> list[Prepared]:
    proc = adapter.processor
    markers = marker_ids(proc.tokenizer, adapter.model.config, proc.image_token_id)
    out = []
    for req in requests:
        reason = adapter.accepts(req.messages)
        if reason is not None:
            out.append(Prepared(req.key, (), Segments(labels=(), excluded=reason)))
            continue
        layout = content_layout(lambda ms: PLACEHOLDER.join(_pieces(adapter, ms)), req.messages)
        ids, offsets, text = tokenise_pieces(proc, _pieces(adapter, req.messages))
        if ids != proc.encode(_pieces(adapter, req.messages)):
            raise ModelError(f"LAWS: {req.key}: offset tokenisation differs from WingsProcessor.encode")
        segments = label_tokens(ids, offsets, text, layout, proc.image_token_id, markers, options.segments)
        if len(ids) > adapter.window:
            segments = Segments(labels=segments.labels,
                                excluded=f"{len(ids)} tokens exceed the model window of {adapter.window}")
        out.append(Prepared(req.key, tuple(ids), segments, payload=req.messages))
    return out


def wings_inputs(adapter, rows: Sequence[Prepared]) -> dict[str, Any]:
    """Right-padded ids (WINGS uses true positions under padding) and the images in row order."""
    from wings_ref.processing_wings import pad_rows

    ids, mask = pad_rows([r.ids for r in rows], adapter.processor.pad_id, "right")
    images = [ref.load() for r in rows for m in r.payload for ref in m.images]
    pixels = adapter.processor.pixel_values(images)
    return {"input_ids": ids.to(adapter.device), "attention_mask": mask.to(adapter.device),
            "pixel_values": pixels.to(adapter.device, adapter.dtype) if pixels is not None else None,
            "use_cache": False, "logits_to_keep": 1}


def native_forward(model, inputs: dict[str, Any], mass: ColumnMass) -> Any:
    """Forward with the model's own head-summed main attention reduced per layer as it is computed."""
    n_heads = model.config.text_config.num_attention_heads

    def take(layer: int, probs: torch.Tensor) -> None:
        mass.add_head_summed(layer, probs, n_heads)

    return model(**inputs, head_summed_callback=take)
