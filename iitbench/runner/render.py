"""The prompt format: how a turn of a dialogue becomes chat messages and which candidates are scored.

A turn becomes one user message: the turn's parts in order (images as lazy `ImageRef`s), then one text part with
the options ("\\nA. ...\\nB. ...") and the instruction. Each earlier turn is followed by an assistant message holding
its context answer (the gold answer when teacher-forced, the model's own when free-running). The adapter applies
its own chat template; the runner never formats model-specific prompts.
"""

from __future__ import annotations

import dataclasses
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from iitbench.data.types import ImagePart, Item, TextPart, Turn
from iitbench.errors import DataError
from iitbench.models.protocol import ANSWER_FORMATS, ImageRef, Message, MessagePart, stable_hash
from iitbench.runner import cloze

LETTERS = string.ascii_uppercase
LETTER_INSTRUCTION = "\nAnswer with the option's letter from the given choices directly."
TEXT_INSTRUCTION = "\nAnswer with the option's text from the given choices directly."
# What is scored: the option letters, the option texts (both as the assistant's chat reply) or the option texts as
# the raw-text continuation of a cloze prompt (`iitbench.runner.cloze`, lm-eval's multiple-choice convention).
CANDIDATES = (*ANSWER_FORMATS, "cloze")
# Rough cost of an image in "characters" when sorting requests by length; only the order of batches depends on it.
IMAGE_LENGTH = 1000


@dataclass(frozen=True)
class PromptFormat:
    """Strings of the prompt and the kind of candidates; its `hash` identifies a run's prompts."""

    option_template: str = "\n{letter}. {text}"
    instruction: str = LETTER_INSTRUCTION
    #: "letter": score "A", "B", ...; "text": score the option texts (the context answer is then the option text);
    #: "cloze": score the option texts after a raw-text prompt, no chat template (`iitbench.runner.cloze`).
    candidates: Literal["letter", "text", "cloze"] = "letter"

    @classmethod
    def for_candidates(cls, candidates: str) -> PromptFormat:
        if candidates not in CANDIDATES:
            raise DataError(f"--candidates {candidates!r}: use one of {', '.join(CANDIDATES)}")
        return cls(instruction=LETTER_INSTRUCTION if candidates == "letter" else TEXT_INSTRUCTION,
                   candidates=candidates)  # type: ignore[arg-type]

    @property
    def is_cloze(self) -> bool:
        return self.candidates == "cloze"

    @property
    def hash(self) -> str:
        fields = dataclasses.asdict(self)
        if self.is_cloze:  # only then, so that the hashes of letter/text runs stay what they were
            fields["cloze"] = cloze.CONVENTIONS
        return stable_hash(fields)

    def to_json(self) -> dict[str, str]:
        return dataclasses.asdict(self)

    def candidates_for(self, turn: Turn) -> tuple[str, ...]:
        if self.is_cloze:
            return cloze.choices_of(turn)
        if self.candidates == "text":
            return turn.choices
        return tuple(LETTERS[: len(turn.choices)])

    def context_answer(self, turn: Turn, index: int) -> str:
        """The assistant's reply that stands for choosing option `index` of `turn`."""
        return self.candidates_for(turn)[index]

    def user_message(self, root: Path, turn: Turn, where: str) -> Message:
        if len(turn.choices) > len(LETTERS):
            raise DataError(f"{where}: {len(turn.choices)} choices; the letter format takes at most {len(LETTERS)}")
        parts: list[MessagePart] = [ImageRef(root, p.path) if isinstance(p, ImagePart) else p for p in turn.parts]
        options = "".join(self.option_template.format(letter=LETTERS[i], text=c) for i, c in enumerate(turn.choices))
        parts.append(TextPart(options + self.instruction))
        return Message(role="user", parts=tuple(parts))


def render(item: Item, turn: int, root: Path, fmt: PromptFormat, answers: Sequence[str]) -> tuple[Message, ...]:
    """Messages that ask turn `turn` of `item`; `answers[j]` is the context answer of earlier turn j."""
    if len(answers) < turn:
        raise ValueError(f"item {item.id!r} turn {turn}: {len(answers)} context answers, need {turn}")
    out: list[Message] = []
    for j in range(turn + 1):
        out.append(fmt.user_message(root, item.turns[j], f"item {item.id!r} turn {j}"))
        if j < turn:
            out.append(Message(role="assistant", parts=(TextPart(answers[j]),)))
    return tuple(out)


def rendered_length(messages: Sequence[Message]) -> int:
    """A model-free size estimate used to sort requests (longest first) so batches pad little."""
    return sum(len(m.text) + IMAGE_LENGTH * len(m.images) for m in messages)


# An upper-case letter standing alone at the start, optionally after "Answer:" / "The answer is".
_LETTER_RE = re.compile(r"^\W*(?:(?i:the\s+)?(?i:answer)\s*(?i:is)?\s*:?\s*)?\(?([A-Z])(?:[\s).:,]|$)")


def parse_choice(text: str, turn: Turn, fmt: PromptFormat) -> int | None:
    """The option a generated reply names, or None when it names none.

    Accepted: a leading option letter ("B", "(B)", "B. blue", "Answer: B"), or, when candidates are texts, the exact
    text of one option (case and surrounding space ignored). A letter beyond the number of options is not a choice.
    A Yes/No turn whose meta names an `answer_rule` (the multimodal benchmarks, `iitbench.mmsuite`) is read by that
    benchmark's rule instead: "yes-no" (MME, lmms-eval) or "yes-anywhere" (HallusionBench, lmms-eval).
    """
    rule = turn.meta.get("answer_rule") if turn.meta else None
    if rule is not None:
        from iitbench.mmsuite.metrics import read_reply

        return read_reply(text, rule, len(turn.choices))
    reply = text.strip()
    if fmt.candidates in ("text", "cloze"):
        folded = reply.casefold().rstrip(".")
        for i, c in enumerate(turn.choices):
            if folded == c.strip().casefold():
                return i
    m = _LETTER_RE.match(reply)
    if m:
        idx = LETTERS.index(m.group(1))
        if idx < len(turn.choices):
            return idx
    return None
