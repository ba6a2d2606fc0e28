"""MMMU (`MMMU/MMMU`, apache-2.0): 30 subject configs; `options` is a Python-literal list in a string.

Only multiple-choice rows are kept (open questions and test rows with withheld answers are skipped and counted).
`<image k>` placeholders in the question become the image of column `image_k` at that place (a repeated
placeholder reuses the same bytes). Placeholders inside options become the text "(image k)", and those images
are appended after the question, labelled, unless the question already shows them. Ids: `mmmu/<id>`.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from iitbench.data.types import ImageBlob, Question, SourcePart, TextPart
from iitbench.sources.hf.base import RowContext, SkipRow, SourceSpec, letter_index, make_question
from iitbench.sources.hf.blobs import to_blob

SUBJECTS = tuple("""
Accounting Agriculture Architecture_and_Engineering Art Art_Theory Basic_Medical_Science Biology Chemistry
Clinical_Medicine Computer_Science Design Diagnostics_and_Laboratory_Medicine Economics Electronics Energy_and_Power
Finance Geography History Literature Manage Marketing Materials Math Mechanical_Engineering Music Pharmacy Physics
Psychology Public_Health Sociology
""".split())
MAX_IMAGES = 7
_PLACEHOLDER = re.compile(r"<image (\d+)>")
_ID = re.compile(r"^(?:dev|validation|test)_(.+)_\d+$")


def parse_options(raw: Any) -> list[str]:
    if isinstance(raw, list):
        return [str(o) for o in raw]
    try:
        value = ast.literal_eval(str(raw or "[]"))
    except (ValueError, SyntaxError):
        raise SkipRow("unparsable options") from None
    if not isinstance(value, list):
        raise SkipRow("unparsable options")
    return [str(o) for o in value]


def _image(row: dict[str, Any], k: int, ctx: RowContext, cache: dict[int, ImageBlob]) -> ImageBlob:
    if not 1 <= k <= MAX_IMAGES:
        raise SkipRow("placeholder beyond image_7")
    if k not in cache:
        try:
            cache[k] = to_blob(row.get(f"image_{k}"), ctx)
        except SkipRow as e:
            raise SkipRow(f"{e.reason} (placeholder without image)") from None
    return cache[k]


def interleave(question: str, options: list[str], row: dict[str, Any], ctx: RowContext) -> tuple[list[SourcePart], list[str]]:
    """Question parts with images at their placeholders, plus options whose placeholders became text."""
    cache: dict[int, ImageBlob] = {}
    parts: list[SourcePart] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(question):
        parts.append(TextPart(question[pos:m.start()]))
        parts.append(_image(row, int(m.group(1)), ctx, cache))
        pos = m.end()
    parts.append(TextPart(question[pos:]))
    shown = set(cache)
    extra: list[int] = []
    for opt in options:
        for m in _PLACEHOLDER.finditer(opt):
            k = int(m.group(1))
            _image(row, k, ctx, cache)
            if k not in shown and k not in extra:
                extra.append(k)
    for k in extra:
        parts += [TextPart(f"\n(image {k}): "), cache[k]]
    texts = [_PLACEHOLDER.sub(lambda m: f"(image {m.group(1)})", o) for o in options]
    return parts, texts


def convert(row: dict[str, Any], ctx: RowContext) -> Question:
    qid = str(row.get("id") or "")
    if not qid:
        raise SkipRow("missing id")
    options = parse_options(row.get("options"))
    if str(row.get("question_type") or "") != "multiple-choice" or not options:
        raise SkipRow("open question")
    answer = letter_index(row.get("answer"), len(options))
    parts, choices = interleave(str(row.get("question") or ""), options, row, ctx)
    m = _ID.match(qid)
    subject = ctx.config or (m.group(1) if m else "")
    return make_question(ctx, f"mmmu/{qid}", parts, choices, answer, subject=subject)


SPEC = SourceSpec(
    name="mmmu", hub_id="MMMU/MMMU", configs=SUBJECTS, default_configs=SUBJECTS, default_split="validation",
    splits=("dev", "validation", "test"), kind="V", licence="apache-2.0", convert=convert)
