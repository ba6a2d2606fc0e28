"""SEED-Bench v1 (`lmms-lab/SEED-Bench`, split `test`; cc-by-nc-4.0 per the original AILab-CVC release).

`image` is List(Image): image items hold one image, video items several frames; only `data_type == "image"` is
kept (video rows are skipped and counted). Options `choice_a`-`choice_d`, letter answer. Ids: `seedbench/<question_id>`.
"""

from __future__ import annotations

from typing import Any

from iitbench.data.types import Question, TextPart
from iitbench.sources.hf.base import RowContext, SkipRow, SourceSpec, letter_index, make_question
from iitbench.sources.hf.blobs import to_blob

# The 12 evaluation dimensions (question_type_id), from the SEED-Bench paper; 10-12 are video.
DIMENSIONS = {
    1: "Scene Understanding", 2: "Instance Identity", 3: "Instance Attributes", 4: "Instance Location",
    5: "Instances Counting", 6: "Spatial Relation", 7: "Instance Interaction", 8: "Visual Reasoning",
    9: "Text Understanding", 10: "Action Recognition", 11: "Action Prediction", 12: "Procedure Understanding",
}


def convert(row: dict[str, Any], ctx: RowContext) -> Question:
    if str(row.get("data_type") or "") != "image":
        raise SkipRow("video item")
    images = list(row.get("image") or [])
    if len(images) != 1:
        raise SkipRow("image item without exactly one image")
    qid = str(row.get("question_id") or "").strip()
    if not qid:
        raise SkipRow("missing id")
    choices = [row.get(f"choice_{c}") for c in "abcd"]
    answer = letter_index(row.get("answer"), len(choices))
    type_id = row.get("question_type_id")
    try:
        subject = DIMENSIONS.get(int(type_id), str(type_id))
    except (TypeError, ValueError):
        subject = str(type_id or "")
    return make_question(ctx, f"seedbench/{qid}", [to_blob(images[0], ctx),
                         TextPart(str(row.get("question") or "").strip())], choices, answer, subject=subject)


SPEC = SourceSpec(
    name="seedbench", hub_id="lmms-lab/SEED-Bench", configs=(), default_configs=(), default_split="test",
    splits=("test",), kind="V", licence="cc-by-nc-4.0", convert=convert, hub_config_required=False)
