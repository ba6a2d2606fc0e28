"""SciQ (`allenai/sciq`, CC-BY-NC-3.0): a question, its supporting paragraph, three distractors and the answer.

Options are in lm-eval's order, [distractor1, distractor2, distractor3, correct_answer], so the gold index is always
3 and per-option scores line up with lm-eval's `sciq`: fine for cloze scoring (the option text is scored, not its
place), but a letter-format prompt would always answer D; use the cloze or text candidates. No id column: ids are
`sciq/<split>/<row>`. Cloze prompt as lm-eval: "{support}\\nQuestion: {question}\\nAnswer:".
"""

from __future__ import annotations

from typing import Any

from iitbench.data.types import Question, TextPart
from iitbench.sources.hf.base import RowContext, SourceSpec, cloze_meta, make_question


def convert(row: dict[str, Any], ctx: RowContext) -> Question:
    question = str(row.get("question") or "")
    support = str(row.get("support") or "")
    options = [row.get("distractor1"), row.get("distractor2"), row.get("distractor3"), row.get("correct_answer")]
    text = f"{support.strip()}\n{question.strip()}" if support.strip() else question.strip()
    return make_question(ctx, f"sciq/{ctx.split}/{ctx.row}", [TextPart(text)], options, 3,
                         meta=cloze_meta(f"{support.lstrip()}\nQuestion: {question}\nAnswer:", options))


SPEC = SourceSpec(
    name="sciq", hub_id="allenai/sciq", configs=(), default_configs=(), default_split="test",
    splits=("train", "validation", "test"), kind="T", licence="CC-BY-NC-3.0", convert=convert,
    hub_config_required=False)
