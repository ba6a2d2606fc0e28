"""The prompts diagnose reads, and their token ids per adapter family.

Text: the scored turn of every text-only item (earlier turns answered with the gold answer), in the prompt format
`iitbench forgetting` uses (`PromptFormat.for_candidates`), cut where the answer starts: the chat prompt with its
trailing whitespace moved into the answer (`hf_loglik.move_trailing_space`, as scoring does), or the cloze context
(`runner.cloze`). The *answer position* is the prompt's last token: its next-token distribution is the one that
predicts the answer's first token (a token merged across the prompt/answer boundary is counted as the answer's,
as scoring counts it). Its token ids are built exactly as each adapter builds a scoring context.

Image dialogues (mixing): the scored turn of image dialogues, taken round-robin over the image configs in dataset
order (so `--iit-limit 100` spans TTV, TV and V rather than the first config), tokenised with segment labels by
`iitbench.laws`' own preparation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from iitbench.errors import ModelError, UserError
from iitbench.models.hf_loglik import move_trailing_space
from iitbench.models.protocol import Message, hf_conversation
from iitbench.runner import cloze
from iitbench.runner.render import PromptFormat, render
from iitbench.runner.session import select_items


@dataclass(frozen=True)
class TextPrompt:
    """One text item's prompt: chat messages, or the raw cloze context."""

    key: str
    messages: tuple[Message, ...]
    cloze: str | None = None


@dataclass(frozen=True)
class Encoded:
    """A prompt's token ids as the model reads them (left-truncated to its window when the adapter truncates)."""

    key: str
    ids: tuple[int, ...]
    truncated: int  # oldest tokens dropped
    payload: Any  # what the family's batch builder needs (messages / (text, images))


def _answers(item, fmt: PromptFormat) -> list[str]:
    return [fmt.context_answer(item.turns[j], item.turns[j].answer) for j in range(item.scored_turn)]


def text_prompts(dataset, limit: int | None, fmt: PromptFormat) -> tuple[list[TextPrompt], int]:
    """(prompts of the text-only items among the first `limit` per config, number of image items left out)."""
    items = select_items(dataset.items, limit)
    prompts = []
    for item in items:
        if item.has_image:
            continue
        answers = _answers(item, fmt)
        messages = render(item, item.scored_turn, dataset.root, fmt, answers)
        text = cloze.render_cloze(item, item.scored_turn, answers) if fmt.is_cloze else None
        prompts.append(TextPrompt(key=f"{item.id}#{item.scored_turn}", messages=messages, cloze=text))
    skipped = len(items) - len(prompts)
    if not prompts:
        raise UserError(f"--suite {dataset.root}: no text-only item to compare the models on; use the text suite, "
                        f"text-real or a dataset with text items")
    return prompts, skipped


def image_requests(dataset, limit: int | None, fmt: PromptFormat) -> list:
    """LAWS requests of image dialogues, round-robin over configs (dataset order within each), at most `limit`."""
    from iitbench.laws.protocol import LawsRequest

    by_config: dict[str, list] = {}
    for item in dataset.items:
        if item.has_image:
            by_config.setdefault(item.config, []).append(item)
    queues = list(by_config.values())
    picked = []
    for k in range(max((len(q) for q in queues), default=0)):
        picked += [q[k] for q in queues if k < len(q)]
    picked = picked[:limit] if limit else picked
    return [LawsRequest(key=f"{item.id}#{item.scored_turn}",
                        messages=render(item, item.scored_turn, dataset.root, fmt, _answers(item, fmt)))
            for item in picked]


def _fit(key: str, ids: list[int], window: int | None, may_cut: bool) -> tuple[tuple[int, ...], int]:
    if window is None or len(ids) <= window:
        return tuple(ids), 0
    if not may_cut:
        raise ModelError(f"prompt {key}: {len(ids)} tokens exceed the model window of {window}; pass a larger "
                         f"--model-args max_length if the model supports it, or use --limit")
    return tuple(ids[len(ids) - window:]), len(ids) - window


def encode(adapter, family: str, prompt: TextPrompt) -> Encoded:
    """The prompt's ids as the adapter builds a scoring context (see the module docstring)."""
    window = getattr(adapter, "window", None)
    if prompt.cloze is not None:
        if family == "wings":  # raw text, no template, no image: the ids WingsAdapter.score_text scores
            ctx = prompt.cloze.rstrip()
            ids = list(adapter.processor.encode_text(ctx))
            if not ids:  # an empty context stands on the start token, as score_text's does
                ids = [adapter.start_token_id]
            fitted, _ = _fit(prompt.key, ids, window, False)
            return Encoded(prompt.key, fitted, 0, ())
        if family != "causal":
            raise UserError("cloze prompts (--candidates cloze, the default of text-real): only hf-causal and "
                            "wings models score raw text; pass --candidates letter or text")
        ctx = prompt.cloze.rstrip()  # lm-eval moves trailing whitespace into the continuation (hf-causal does too)
        ids = adapter.tokenizer(ctx, add_special_tokens=False)["input_ids"]
        prefix = list(getattr(adapter, "raw_prefix_ids", ()) or ())
        ids = list(ids) if prefix and list(ids[:len(prefix)]) == prefix else prefix + list(ids)
        fitted, cut = _fit(prompt.key, ids, window, getattr(adapter, "truncation", "left") == "left")
        return Encoded(prompt.key, fitted, cut, None)
    if family == "causal":
        ctx = move_trailing_space(adapter.render(prompt.messages), "")[0]
        ids = list(getattr(adapter, "prefix_ids", ()) or ()) + list(
            adapter.tokenizer(ctx, add_special_tokens=False)["input_ids"])
        fitted, cut = _fit(prompt.key, ids, window, getattr(adapter, "truncation", "left") == "left")
        return Encoded(prompt.key, fitted, cut, None)
    if family == "wings":
        try:
            pieces, _ = adapter.processor.render(hf_conversation(prompt.messages))
        except ValueError as e:
            raise ModelError(f"prompt {prompt.key}: {e}") from None
        pieces = list(pieces[:-1]) + [move_trailing_space(pieces[-1], "")[0]]
        ids, _ = _fit(prompt.key, list(adapter.processor.encode(pieces)), window, False)
        return Encoded(prompt.key, ids, 0, prompt.messages)
    ctx = move_trailing_space(adapter.render(prompt.messages), "")[0]
    out = adapter.processor(text=[ctx], images=None, add_special_tokens=False)
    ids, _ = _fit(prompt.key, [int(t) for t in out["input_ids"][0]], window, False)
    return Encoded(prompt.key, ids, 0, (ctx, ()))


def batch_inputs(adapter, family: str, rows: Sequence[Encoded]) -> dict[str, Any]:
    """Right-padded inputs of encoded prompts, built by `iitbench.laws`' batch builders."""
    from iitbench.laws.collect import Prepared
    from iitbench.laws.hf_inputs import causal_inputs, vlm_inputs
    from iitbench.laws.protocol import Segments
    from iitbench.laws.wings_backend import wings_inputs

    prepared = [Prepared(r.key, r.ids, Segments(labels=()), payload=r.payload) for r in rows]
    build = {"causal": causal_inputs, "wings": wings_inputs, "vlm": vlm_inputs}[family]
    return build(adapter, prepared)


__all__ = ["Encoded", "TextPrompt", "batch_inputs", "encode", "image_requests", "text_prompts"]
