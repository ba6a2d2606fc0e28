"""MMBench (`lmms-lab/MMBench`, configs en/cn/cc; licence not stated -> "unknown"), or the OpenCompass TSV.

`hint` is prepended only when it is neither null nor "nan"; options C/D may be null or "nan" and are dropped
(2-3 choices), the letter answer is mapped among the kept letters. Rows whose `index` is >= 1e6 are the circular
copies: they are skipped (counted as "circular copy") so that the result is vanilla accuracy.
TSV (`MMBench_DEV_EN.tsv`, ...): same columns, `image` in base64; a value of <= 64 characters is instead the
index of the row whose image it shares. Ids: `mmbench/<split>/<index>` (`mmbench/<config>/...` for cn/cc).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from iitbench.data.types import Question, TextPart
from iitbench.errors import DataError, UserError
from iitbench.sources.hf.base import LoadReport, LoadRequest, RowContext, SkipRow, SourceSpec, is_null, make_question
from iitbench.sources.hf.blobs import to_blob
from iitbench.sources.hf.read import convert_streams, load_rows

CIRCULAR_OFFSET = 1_000_000
SHARED_IMAGE_MAX_LEN = 64  # VLMEvalKit image_base.py: shorter values name the row whose image is reused


def convert(row: dict[str, Any], ctx: RowContext) -> Question:
    try:
        index = int(str(row.get("index")).strip())
    except ValueError:
        raise SkipRow("bad index") from None
    if index >= CIRCULAR_OFFSET:
        raise SkipRow("circular copy")
    kept = [(k, str(row[k]).strip()) for k in "ABCD" if k in row and not is_null(row[k])]
    letters = [k for k, _ in kept]
    answer = str(row.get("answer") or "").strip().upper()
    if answer not in letters:
        raise SkipRow("answer not among the options")
    question = str(row.get("question") or "").strip()
    hint = row.get("hint")
    text = question if is_null(hint) else f"{str(hint).strip()}\n{question}"
    prefix = "" if ctx.config in ("", "en") else f"{ctx.config}/"
    return make_question(ctx, f"mmbench/{prefix}{ctx.split}/{index}", [to_blob(row.get("image"), ctx),
                         TextPart(text)], [t for _, t in kept], letters.index(answer),
                         subject=str(row.get("category") or ""))


def tsv_file(root: Path, split: str) -> Path | None:
    """`root` itself if it is a .tsv file, else the one `*.tsv` in it whose name has the split as a token."""
    if root.is_file():
        return root if root.suffix.lower() == ".tsv" else None
    if not root.is_dir():
        return None
    hits = sorted(p for p in root.glob("*.tsv")
                  if split.lower() in p.stem.lower().replace("-", "_").replace(".", "_").split("_"))
    if len(hits) > 1:
        raise UserError(f"local data {root}: several {split} TSV files ({', '.join(p.name for p in hits)}); "
                        f"keep one of them")
    return hits[0] if hits else None


def tsv_rows(path: Path, required: tuple[str, ...] = ("index", "question", "answer", "A", "B", "image")
             ) -> list[dict[str, Any]]:
    """Rows of an OpenCompass / VLMEvalKit TSV with shared-image references resolved to the base64 data."""
    import pandas as pd

    try:
        df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as e:
        raise DataError(f"{path}: cannot read TSV ({str(e).splitlines()[0][:160]}); check or re-download it") from e
    for col in required:
        if col not in df.columns:
            raise DataError(f"{path}: missing column {col!r}; expected the OpenCompass / VLMEvalKit TSV layout")
    if "image" not in df.columns:
        return df.to_dict("records")
    rows = df.to_dict("records")
    full = {r["index"]: r["image"] for r in rows if len(r["image"]) > SHARED_IMAGE_MAX_LEN}
    for r in rows:
        if len(r["image"]) <= SHARED_IMAGE_MAX_LEN:
            r["image"] = full.get(r["image"].strip())  # None when dangling: the row is skipped as "missing image"
    return rows


def load(spec: SourceSpec, req: LoadRequest) -> LoadReport:
    path = tsv_file(req.data_dir, req.split) if req.data_dir is not None else None
    if path is None:
        return load_rows(spec, req)
    return convert_streams(spec, req, [("", None, tsv_rows(path))], filter_subjects=True)


SPEC = SourceSpec(
    name="mmbench", hub_id="lmms-lab/MMBench", configs=("en", "cn", "cc"), default_configs=("en",),
    default_split="dev", splits=("dev", "test"), kind="V", licence="unknown", convert=convert, loader=load,
    configs_are_subjects=False)
