"""Token segments of a rendered sample: image tokens, content text before / after the image(s), markers, other.

Positions come from token ids and character offsets only (never from re-tokenising prefixes):

1. `content_layout` renders the dialogue once with each text part replaced by a unique sentinel; the rendered
   prompt splits into template *gaps* around the contents, and rendering the real texts must reproduce the prompt
   (exactly, or with each text stripped, for templates that `trim`) - otherwise the sample is excluded, never guessed.
2. `locate_contents` finds each content text in the string the tokenizer actually read (after the processor's image
   expansion) in order, accepting a match only if the template gap before it is a subsequence of the text since the
   previous match (image expansion only *inserts* characters around placeholders).
3. `label_tokens` labels tokens: image placeholder id -> image; wrapper ids -> marker; a token whose offset span
   overlaps a content span -> that content's side (before the first image part / between / after the last).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from iitbench.data.types import TextPart
from iitbench.laws.protocol import AFTER, BEFORE, BETWEEN, IMAGE, MARKER, OTHER, Segments
from iitbench.models.protocol import Message

_SENTINEL = "\ue000{}\ue001"  # private-use characters: no template or tokenizer gives them meaning
_MARKER_RE = re.compile(r"image|img|vision|^<row_\d+_col_\d+>$", re.IGNORECASE)
_MARKER_CONFIG_KEYS = ("boi_token_index", "eoi_token_index", "boi_token_id", "eoi_token_id",
                       "vision_start_token_id", "vision_end_token_id", "image_start_token_id", "image_end_token_id")


@dataclass(frozen=True)
class Layout:
    """The rendered prompt as gaps (template text) around content texts; `sides[k]` is text k's segment."""

    gaps: tuple[str, ...]  # len(texts) + 1
    texts: tuple[str, ...]
    sides: tuple[int, ...]
    n_images: int
    prompt: str


def _content_parts(messages: Sequence[Message]) -> tuple[list[str], list[int], int]:
    """Non-empty text parts in dialogue order with their side relative to the image parts."""
    n_images = sum(len(m.images) for m in messages)
    texts, sides, seen = [], [], 0
    for m in messages:
        for p in m.parts:
            if not isinstance(p, TextPart):
                seen += 1
            elif p.text:
                texts.append(p.text)
                sides.append(OTHER if not n_images else BEFORE if seen == 0 else AFTER if seen == n_images
                             else BETWEEN)
    return texts, sides, n_images


def _with_sentinels(messages: Sequence[Message]) -> tuple[Message, ...]:
    k = 0
    out = []
    for m in messages:
        parts = []
        for p in m.parts:
            if isinstance(p, TextPart) and p.text:
                parts.append(TextPart(_SENTINEL.format(k)))
                k += 1
            else:
                parts.append(p)
        out.append(Message(role=m.role, parts=tuple(parts)))
    return tuple(out)


def content_layout(render: Callable[[Sequence[Message]], str], messages: Sequence[Message]) -> Layout | str:
    """The layout of `render(messages)`, or a one-line reason why the content text cannot be placed."""
    texts, sides, n_images = _content_parts(messages)
    prompt = render(messages)
    marked = render(_with_sentinels(messages))
    gaps, cursor = [], 0
    for k in range(len(texts)):
        at = marked.find(_SENTINEL.format(k), cursor)
        if at < 0:
            return "the chat template drops or reorders message text"
        gaps.append(marked[cursor:at])
        cursor = at + len(_SENTINEL.format(k))
    gaps.append(marked[cursor:])
    for variant in (texts, [t.strip() for t in texts]):
        if "".join(g + t for g, t in zip(gaps, variant)) + gaps[-1] == prompt:
            keep = [i for i, t in enumerate(variant) if t]
            merged = _drop_empty(gaps, variant, keep)
            return Layout(gaps=merged, texts=tuple(variant[i] for i in keep), sides=tuple(sides[i] for i in keep),
                          n_images=n_images, prompt=prompt)
    return "the chat template rewrites message text (not verbatim in the prompt)"


def _drop_empty(gaps: list[str], texts: list[str], keep: list[int]) -> tuple[str, ...]:
    """Gaps around the kept (non-empty) texts: a dropped text's gaps join its neighbours'."""
    out, current = [], gaps[0]
    for i, t in enumerate(texts):
        if i in keep:
            out.append(current)
            current = gaps[i + 1]
        else:
            current += t + gaps[i + 1]
    out.append(current)
    return tuple(out)


def _is_subsequence(small: str, big: str, start: int, end: int) -> bool:
    it = iter(big[start:end])
    return all(c in it for c in small)


def locate_contents(text: str, layout: Layout) -> list[tuple[int, int]] | None:
    """Character spans of the layout's contents in `text` (what the tokenizer read), or None if they do not fit."""
    spans, cursor = [], 0
    for gap, content in zip(layout.gaps, layout.texts):
        at = text.find(content, cursor)
        while at >= 0 and not _is_subsequence(gap, text, cursor, at):
            at = text.find(content, at + 1)
        if at < 0:
            return None
        spans.append((at, at + len(content)))
        cursor = at + len(content)
    return spans if _is_subsequence(layout.gaps[-1], text, cursor, len(text)) else None


def marker_ids(tokenizer, config, image_id: int) -> frozenset[int]:
    """Image wrapper tokens: added tokens named like image/vision/row-col tags, and the config's boi/eoi ids."""
    found = {int(i) for i, tok in getattr(tokenizer, "added_tokens_decoder", {}).items()
             if _MARKER_RE.search(str(getattr(tok, "content", tok)))}
    for cfg in (config, getattr(config, "text_config", None)):
        for key in _MARKER_CONFIG_KEYS:
            value = getattr(cfg, key, None) if cfg is not None else None
            if isinstance(value, int):
                found.add(value)
    found.discard(int(image_id))
    return frozenset(found)


def label_tokens(ids: Sequence[int], offsets: Sequence[tuple[int, int]] | None, text: str | None,
                 layout: Layout | str, image_id: int | None, markers: frozenset[int], mode: str) -> Segments:
    """Segment labels of one tokenised sample. `offsets` are the tokens' character spans in `text` (the string the
    tokenizer read); `layout` is `content_layout`'s result (a string = why the content cannot be placed)."""
    labels = [IMAGE if t == image_id else MARKER if t in markers else OTHER for t in ids]
    reason = layout if isinstance(layout, str) else None
    spans = None
    if reason is None:
        spans = locate_contents(text or "", layout) if offsets is not None else None
        if spans is None:
            reason = "the content text was not found in the tokenised prompt"
    if reason is None:
        _label_content(labels, offsets, spans, layout.sides)
        if mode == "all-text":
            _label_all_text(labels)
        reason = _exclusion(labels, layout.n_images)
    return Segments(labels=tuple(labels), excluded=reason)


def _label_content(labels: list[int], offsets, spans, sides) -> None:
    k = 0
    for pos, (start, end) in enumerate(offsets):
        if labels[pos] != OTHER or end <= start:
            continue
        while k < len(spans) and spans[k][1] <= start:  # both sequences are in text order
            k += 1
        if k < len(spans) and spans[k][0] < end:  # the token overlaps content span k
            labels[pos] = sides[k]


def _label_all_text(labels: list[int]) -> None:
    """Every non-image, non-marker token is text, split by the image run(s) (or, for text-only models that have
    no image tokens, by the content text around where the image stood)."""
    images = [i for i, lab in enumerate(labels) if lab == IMAGE]
    if images:
        lo, hi = images[0], images[-1]
    else:
        before = [i for i, lab in enumerate(labels) if lab == BEFORE]
        after = [i for i, lab in enumerate(labels) if lab == AFTER]
        lo = before[-1] + 1 if before else 0
        hi = after[0] - 1 if after else len(labels) - 1
    for i, lab in enumerate(labels):
        if lab in (IMAGE, MARKER):
            continue
        labels[i] = BEFORE if i < lo else AFTER if i > hi else BETWEEN


def _exclusion(labels: list[int], n_images: int) -> str | None:
    if not n_images:
        return "no image in the sample"
    if BEFORE not in labels:
        return "no content text before the first image"
    if AFTER not in labels:
        return "no content text after the last image"
    return None
