"""PIQA (`ybisk/piqa`, AFL-3.0; lm-eval reads the same rows from `baber/piqa`): a goal and two solutions, `label`
0/1. No id column: ids are `piqa/<split>/<row>`. Cloze prompt as lm-eval's `piqa`: "Question: {goal}\\nAnswer:".
"""

from __future__ import annotations

from typing import Any

from iitbench.data.types import Question, TextPart
from iitbench.sources.hf.base import RowContext, SkipRow, SourceSpec, cloze_meta, make_question


def convert(row: dict[str, Any], ctx: RowContext) -> Question:
    label = row.get("label")
    if not isinstance(label, int) or isinstance(label, bool) or label not in (0, 1):
        raise SkipRow("no label")  # the test split is unlabelled (-1)
    goal = str(row.get("goal") or "")
    options = [row.get("sol1"), row.get("sol2")]
    return make_question(ctx, f"piqa/{ctx.split}/{ctx.row}", [TextPart(goal.strip())], options, label,
                         meta=cloze_meta(f"Question: {goal}\nAnswer:", options))


SPEC = SourceSpec(
    name="piqa", hub_id="ybisk/piqa", configs=(), default_configs=(), default_split="validation",
    splits=("train", "validation", "test"), kind="T", licence="AFL-3.0", convert=convert, hub_config_required=False)
