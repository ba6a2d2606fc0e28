"""ARC-Easy and ARC-Challenge (`allenai/ai2_arc`, CC-BY-SA-4.0): `choices` is {"text": [...], "label": [...]} with
letter or digit labels; gold = `choices.label.index(answerKey)`, and the cloze prompt is lm-eval's `arc_easy` one
("Question: {question}\\nAnswer:", the option text as the continuation).
"""

from __future__ import annotations

from typing import Any

from iitbench.data.types import Question, TextPart
from iitbench.sources.hf.base import RowContext, SkipRow, SourceSpec, cloze_meta, labelled_choices, make_question


def _convert(row: dict[str, Any], ctx: RowContext) -> Question:
    texts, gold = labelled_choices(row)
    qid = str(row.get("id") or "")
    if not qid:
        raise SkipRow("missing id")
    question = str(row.get("question") or "")
    return make_question(ctx, f"{ctx.source}/{qid}", [TextPart(question.strip())], texts, gold,
                         meta=cloze_meta(f"Question: {question}\nAnswer:", texts))


def _spec(name: str, config: str) -> SourceSpec:
    return SourceSpec(
        name=name, hub_id="allenai/ai2_arc", configs=(config,), default_configs=(config,), default_split="test",
        splits=("train", "validation", "test"), kind="T", licence="CC-BY-SA-4.0", convert=_convert,
        configs_are_subjects=False)


SPEC_EASY = _spec("arc_easy", "ARC-Easy")
SPEC_CHALLENGE = _spec("arc_challenge", "ARC-Challenge")
