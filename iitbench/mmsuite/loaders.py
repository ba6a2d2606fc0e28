"""Loaders of the paper's multimodal benchmarks that are not IIT sources: MME, ScienceQA-IMG, HallusionBench (and
MMBench-CN through the `mmbench` source's `cn` config).

Hub (the ids lmms-eval uses; it moved them to `lmms-lab-encoder/...` in 2026, and both are tried in that order):
  mme             lmms-lab/MME, split test: question_id (the image's file name, shared by its two questions),
                  question, answer ("Yes"/"No"), category, image
  scienceqa-img   lmms-lab/ScienceQA, config ScienceQA-IMG, split test: image, question, choices (list), answer
                  (int index), hint, task, grade, subject, topic, category, skill, lecture, solution
  hallusionbench  lmms-lab/HallusionBench, split image: category (VD/VS), subcategory, visual_input, set_id,
                  figure_id, sample_note, question_id, question, gt_answer_details, gt_answer ("1"/"0"), filename,
                  image
Local files: the Hub parquet layout (any folder of `<split>-*.parquet`), or VLMEvalKit's TSV (base64 `image`; a value
of <= 64 characters names the row whose image it shares): MME.tsv (index, image, question, answer, category,
image_path), HallusionBench.tsv (index whose `_`-separated fields 3, 4, 5 are set, figure and question id, as
VLMEvalKit reads them; category, l2-category, answer Yes/No), ScienceQA_TEST.tsv (question, hint, options A-E,
answer letter). Rows that cannot be used are counted per reason, never dropped silently.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from iitbench.data.types import Question, TextPart
from iitbench.errors import UserError
from iitbench.sources.hf import mmbench
from iitbench.sources.hf.base import (
    LETTERS,
    LoadReport,
    LoadRequest,
    RowContext,
    SkipRow,
    SourceSpec,
    is_null,
    make_question,
)
from iitbench.sources.hf.blobs import to_blob
from iitbench.sources.hf.read import convert_streams, load_rows

YES_NO = ("Yes", "No")
ENCODER_ORG = "lmms-lab-encoder"  # where lmms-eval keeps these datasets since 2026


def _yes_no(value: Any) -> int:
    answer = str(value if value is not None else "").strip().rstrip(".").lower()
    if answer in ("yes", "1"):
        return 0
    if answer in ("no", "0"):
        return 1
    raise SkipRow("answer not yes/no")


def convert_mme(row: dict[str, Any], ctx: RowContext) -> Question:
    image_id = str(row.get("question_id") or row.get("image_path") or "").strip()
    if not image_id:
        raise SkipRow("no image id")
    category = str(row.get("category") or "").strip()
    n = ctx.rank(image_id)  # the question's place among its image's questions
    return make_question(ctx, f"mme/{image_id}#{n}", [to_blob(row.get("image"), ctx),
                         TextPart(str(row.get("question") or "").strip())], list(YES_NO), _yes_no(row.get("answer")),
                         subject=category, meta={"category": category, "image_id": image_id, "benchmark": "mme"})


def _hallusion_ids(row: dict[str, Any]) -> tuple[str, str, str, str, str]:
    """(category, subcategory, set_id, figure_id, question_id): Hub columns, or VLMEvalKit's index fields."""
    if row.get("set_id") is not None and not is_null(row.get("set_id")):
        return (str(row.get("category")), str(row.get("subcategory")), str(row.get("set_id")),
                str(row.get("figure_id")), str(row.get("question_id")))
    fields = str(row.get("index") or "").split("_")
    if len(fields) < 6:
        raise SkipRow("no set/figure/question ids")
    return str(row.get("category")), str(row.get("l2-category")), fields[3], fields[4], fields[5]


def convert_hallusion(row: dict[str, Any], ctx: RowContext) -> Question:
    category, sub, set_id, figure_id, question_id = _hallusion_ids(row)
    gold = row.get("gt_answer") if row.get("gt_answer") is not None else row.get("answer")
    image = row.get("image")
    parts = [TextPart(str(row.get("question") or "").strip())]
    if not is_null(image) and image is not None:
        parts.insert(0, to_blob(image, ctx))
    meta = {"benchmark": "hallusionbench", "category": category, "subcategory": sub, "set_id": set_id,
            "figure_id": figure_id, "question_id": question_id, "visual_input": str(row.get("visual_input", ""))}
    return make_question(ctx, f"hallusionbench/{category}_{sub}_{set_id}_{figure_id}_{question_id}", parts,
                         list(YES_NO), _yes_no(gold), subject=f"{category}/{sub}", meta=meta)


def convert_scienceqa(row: dict[str, Any], ctx: RowContext) -> Question:
    if row.get("choices") is not None:
        choices = [str(c) for c in row["choices"]]
        answer = row.get("answer")
        if not isinstance(answer, int) or isinstance(answer, bool):
            try:
                answer = int(str(answer).strip())
            except ValueError:
                raise SkipRow("answer not among the options") from None
    else:  # VLMEvalKit TSV: options in letter columns, the answer a letter
        choices = [str(row[k]).strip() for k in LETTERS[:5] if k in row and not is_null(row[k])]
        letter = str(row.get("answer") or "").strip().upper()
        if letter not in LETTERS[:len(choices)]:
            raise SkipRow("answer not among the options")
        answer = LETTERS.index(letter)
    if is_null(row.get("image")):
        raise SkipRow("no image (not an IMG question)")
    hint = row.get("hint")
    question = str(row.get("question") or "").strip()
    text = question if is_null(hint) else f"Context: {str(hint).strip()}\n{question}"
    index = row.get("index", ctx.row)  # the TSV's index, else the row's place in the split: the same ids either way
    return make_question(ctx, f"scienceqa-img/{ctx.split}/{index}", [to_blob(row.get("image"), ctx),
                         TextPart(text)], choices, answer, subject=str(row.get("subject") or row.get("category") or ""),
                         meta={"benchmark": "scienceqa-img", "subject": str(row.get("subject") or ""),
                               "grade": str(row.get("grade") or "")})


def _load(spec: SourceSpec, req: LoadRequest) -> LoadReport:
    """Local TSV, local parquet/JSONL, or the Hub under lmms-lab/ then lmms-lab-encoder/."""
    if req.data_dir is not None:
        tsv = req.data_dir if req.data_dir.is_file() and req.data_dir.suffix.lower() == ".tsv" else \
            next(iter(sorted(req.data_dir.glob("*.tsv"))), None) if req.data_dir.is_dir() else None
        if tsv is not None:
            return convert_streams(spec, req, [("", None, mmbench.tsv_rows(tsv, required=("index", "question",
                                                                                              "answer")))], False)
        return load_rows(spec, req)
    ids = (spec.hub_id, spec.hub_id.replace("lmms-lab/", f"{ENCODER_ORG}/", 1))
    for hub_id in ids:
        try:
            return load_rows(replace(spec, hub_id=hub_id), req)
        except UserError:
            continue
    raise UserError(f"{spec.name}: cannot load {' or '.join(ids)} (split {req.split}) from the Hugging Face Hub or its "
                    f"cache; download it and pass its folder (parquet files or VLMEvalKit's TSV) as the data dir")


MME = SourceSpec(name="mme", hub_id="lmms-lab/MME", configs=(), default_configs=(), default_split="test",
                 splits=("test",), kind="V", licence="research use (MME)", convert=convert_mme, loader=_load,
                 hub_config_required=False, configs_are_subjects=False)
SCIENCEQA_IMG = SourceSpec(name="scienceqa-img", hub_id="lmms-lab/ScienceQA", configs=("ScienceQA-IMG",),
                           default_configs=("ScienceQA-IMG",), default_split="test", splits=("test",), kind="V",
                           licence="CC BY-NC-SA 4.0", convert=convert_scienceqa, loader=_load,
                           configs_are_subjects=False)
HALLUSIONBENCH = SourceSpec(name="hallusionbench", hub_id="lmms-lab/HallusionBench", configs=(), default_configs=(),
                            default_split="image", splits=("image",), kind="V", licence="BSD-3-Clause",
                            convert=convert_hallusion, loader=_load, hub_config_required=False,
                            configs_are_subjects=False)
LOADERS = {spec.name: spec for spec in (MME, SCIENCEQA_IMG, HALLUSIONBENCH)}


def load_benchmark(name: str, data_dir: str | Path | None = None, split: str | None = None,
                   limit: int | None = None) -> LoadReport:
    """Questions of one benchmark (with the benchmark fields in `Question.meta`) and its skip counts."""
    if name == "mmbench-cn":
        root = None if data_dir is None else Path(data_dir).expanduser()
        subjects = ("cn",) if root is None or (root / "cn").is_dir() else None  # a TSV or flat files: as they are
        report = mmbench.load(mmbench.SPEC, LoadRequest(split=split or "dev", data_dir=root, subjects=subjects,
                                                        limit=limit))
        # Hub (cn/ folder) and TSV give the same ids: mmbench-cn/<split>/<index>
        questions = tuple(replace(q, id=f"mmbench-cn/{q.split}/{q.id.rsplit('/', 1)[-1]}") for q in report.questions)
        return replace(report, source="mmbench-cn", questions=questions)
    if name not in LOADERS:
        raise UserError(f"unknown benchmark {name!r}; use one of {', '.join([*LOADERS, 'mmbench-cn'])}")
    spec = LOADERS[name]
    return spec.loader(spec, LoadRequest(split=split or spec.default_split, limit=limit, subjects=None,
                                         data_dir=None if data_dir is None else Path(data_dir).expanduser()))


__all__ = ["HALLUSIONBENCH", "LOADERS", "MME", "SCIENCEQA_IMG", "YES_NO", "load_benchmark"]
