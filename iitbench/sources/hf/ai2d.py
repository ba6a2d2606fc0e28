"""AI2D (`lmms-lab/ai2d`, split `test`; the card states no licence): `options` List(str), `answer` the index digit
as a string ("0", "1", ...), one `image`. No id column: ids are `ai2d/<split>/<n>` (row position in the files).
"""

from __future__ import annotations

from typing import Any

from iitbench.data.types import Question, TextPart
from iitbench.sources.hf.base import RowContext, SkipRow, SourceSpec, make_question
from iitbench.sources.hf.blobs import to_blob


def convert(row: dict[str, Any], ctx: RowContext) -> Question:
    n = ctx.rank("")
    answer = str(row.get("answer") if row.get("answer") is not None else "").strip()
    if not answer.isdigit():
        raise SkipRow("answer not among the options")
    return make_question(ctx, f"ai2d/{ctx.split}/{n}", [to_blob(row.get("image"), ctx),
                         TextPart(str(row.get("question") or "").strip())], list(row.get("options") or []),
                         int(answer))


SPEC = SourceSpec(
    name="ai2d", hub_id="lmms-lab/ai2d", configs=(), default_configs=(), default_split="test",
    splits=("test",), kind="V", licence="unknown", convert=convert, hub_config_required=False)
