"""The cloze prompt: a dialogue as raw text whose continuation is the option itself, scored without chat template.

This is how lm-eval scores multiple choice (`output_type: multiple_choice`): the context is the task's
`doc_to_text`, each option is scored as `" " + option` after it, acc is the argmax of the summed log-likelihoods
and acc_norm the argmax after dividing by the option's length in characters. Small base models answer this way
far above chance where a lettered prompt leaves them at chance (they answer "A"). A source puts lm-eval's exact
strings in a question's meta (`iitbench.sources.hf.base.cloze_meta`): `cloze` (the context), `cloze_description`
(a task description before it, MMLU's) and `cloze_choices` (the options unstripped); a turn without them reads
"Question: {text}\\nAnswer:". Earlier turns of a dialogue come first, each with its answer, separated by a blank
line: lm-eval's few-shot layout, so a single-turn item is exactly the zero-shot lm-eval request.
"""

from __future__ import annotations

from collections.abc import Sequence

from iitbench.data.types import Item, Turn

TARGET_DELIMITER = " "  # between a context and its continuation (lm-eval's `target_delimiter`)
TURN_DELIMITER = "\n\n"  # between turns (lm-eval's `fewshot_delimiter`)
FALLBACK = "Question: {text}\nAnswer:"
CONVENTIONS = {"target_delimiter": TARGET_DELIMITER, "turn_delimiter": TURN_DELIMITER, "fallback": FALLBACK,
               "norm": "characters"}  # part of the prompt hash of cloze runs
TEXT_ONLY = "the cloze format is text-only: the dialogue has an image"


def context_of(turn: Turn) -> str:
    meta = turn.meta or {}
    return str(meta["cloze"]) if "cloze" in meta else FALLBACK.format(text=turn.text.strip())


def choices_of(turn: Turn) -> tuple[str, ...]:
    """The options as scored: lm-eval's unstripped strings when the source recorded them."""
    raw = (turn.meta or {}).get("cloze_choices")
    if raw is not None and len(raw) == len(turn.choices):
        return tuple(str(c) for c in raw)
    return tuple(turn.choices)


def render_cloze(item: Item, turn: int, answers: Sequence[str]) -> str:
    """The raw-text context of turn `turn` of `item`; `answers[j]` is the answer text shown for earlier turn j."""
    if len(answers) < turn:
        raise ValueError(f"item {item.id!r} turn {turn}: {len(answers)} context answers, need {turn}")
    scored = item.turns[turn]
    shots = [context_of(item.turns[j]) + TARGET_DELIMITER + answers[j] for j in range(turn)]
    description = str((scored.meta or {}).get("cloze_description", ""))
    return description + "".join(s + TURN_DELIMITER for s in shots) + context_of(scored)


def norm_length(choice: str) -> int:
    """acc_norm's divisor: the option's length in characters, as lm-eval's acc_norm (its acc_bytes uses bytes)."""
    return max(1, len(choice))


__all__ = ["CONVENTIONS", "TARGET_DELIMITER", "TEXT_ONLY", "TURN_DELIMITER", "choices_of", "context_of",
           "norm_length", "render_cloze"]
