"""OpenBookQA (`allenai/openbookqa`, config `main`, Apache-2.0): `choices` is a dict of lists
{"text": [...], "label": ["A".."D"]}; gold = `choices.label.index(answerKey.lstrip())` as in lm-eval.
"""

from __future__ import annotations

from typing import Any

from iitbench.data.types import Question, TextPart
from iitbench.sources.hf.base import RowContext, SkipRow, SourceSpec, cloze_meta, labelled_choices, make_question


def convert(row: dict[str, Any], ctx: RowContext) -> Question:
    texts, gold = labelled_choices(row)
    qid = str(row.get("id") or "")
    if not qid:
        raise SkipRow("missing id")
    stem = str(row.get("question_stem") or "")
    return make_question(ctx, f"openbookqa/{qid}", [TextPart(stem.strip())], texts, gold,
                         meta=cloze_meta(stem, texts))  # lm-eval's `openbookqa`: the bare stem, the option text follows


SPEC = SourceSpec(
    name="openbookqa", hub_id="allenai/openbookqa", configs=("main", "additional"), default_configs=("main",),
    default_split="test", splits=("train", "validation", "test"), kind="T", licence="Apache-2.0", convert=convert,
    configs_are_subjects=False)
