"""HellaSwag (`Rowan/hellaswag`, MIT as stated by the HellaSwag repository): `label` is a string "0"-"3", empty in the test
split (those rows are skipped and counted). Query and endings follow lm-eval's `hellaswag/utils.py`.
"""

from __future__ import annotations

import re
from typing import Any

from iitbench.data.types import Question, TextPart
from iitbench.sources.hf.base import RowContext, SkipRow, SourceSpec, cloze_meta, make_question

_TAG = re.compile(r"\[.*?\]")


def preprocess(text: str) -> str:
    """lm-eval's cleaning: WikiHow ` [title]` becomes a sentence break, other `[...]` tags go."""
    text = text.strip().replace(" [title]", ". ")
    text = _TAG.sub("", text)
    return text.replace("  ", " ")


def convert(row: dict[str, Any], ctx: RowContext) -> Question:
    label = str(row.get("label") if row.get("label") is not None else "").strip()
    if not label:
        raise SkipRow("no label")
    if not label.isdigit():
        raise SkipRow("answer not among the options")
    ctx_b = str(row.get("ctx_b") or "")
    query = preprocess(f"{row.get('activity_label') or ''}: {row.get('ctx_a') or ''} {ctx_b.capitalize()}")
    endings = [preprocess(str(e)) for e in row.get("endings") or []]
    # The row's position, not its `ind`: `ind` repeats within the validation split (e.g. 180 twice).
    qid = f"hellaswag/{ctx.split}/{ctx.row}"
    return make_question(ctx, qid, [TextPart(query)], endings, int(label),
                         subject=str(row.get("activity_label") or ""), meta=cloze_meta(query, endings))


SPEC = SourceSpec(
    name="hellaswag", hub_id="Rowan/hellaswag", configs=(), default_configs=(), default_split="validation",
    splits=("train", "validation", "test"), kind="T", licence="MIT", convert=convert, hub_config_required=False)
