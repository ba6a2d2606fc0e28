"""Reading a run directory (`iitbench run --output`): its sample records, and its results as reports see them
(results.json, or the metrics recomputed from samples.jsonl when the run was interrupted before writing it).

It sits below everything that reads runs, so none of them reaches into another: reports, the multimodal suites'
paired comparison (iitbench/mmsuite/compare.py), the API, and the runner itself when it resumes. File names and the
record layout are the schema's (iitbench/schema.py); the runner writes the files (iitbench/runner/).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iitbench.errors import DataError, UserError
from iitbench.schema import OPTIONAL_RECORD_KEYS, RESULTS_FILE, RUN_FILE, SAMPLES_FILE, SampleRecord

#: Key order of a record: the fields of `iitbench.schema.SampleRecord`, in order.
RECORD_KEYS = tuple(SampleRecord.__annotations__)


def _check(obj: Any, where: str) -> SampleRecord:
    if not isinstance(obj, dict) or any(k not in obj for k in RECORD_KEYS if k not in OPTIONAL_RECORD_KEYS):
        missing = [k for k in RECORD_KEYS
                   if k not in OPTIONAL_RECORD_KEYS and (not isinstance(obj, dict) or k not in obj)]
        raise DataError(f"{where}: not a sample record (missing {missing[:3]}); delete the run directory and rerun")
    for k in OPTIONAL_RECORD_KEYS:
        obj.setdefault(k, None)
    return obj


def read_records(path: Path, repair: bool = False) -> list[SampleRecord]:
    """All complete records of a samples file. A torn last line (no newline or bad JSON) is dropped, and with
    `repair` cut from the file so appends continue on a clean line; damage anywhere else is a DataError."""
    path = Path(path)
    if not path.is_file():
        return []
    data = path.read_bytes()
    lines = data.split(b"\n")
    # After the final "\n" split() leaves b"" (clean end) or a partial line (torn write).
    tail = lines.pop()
    good_end = len(data) - len(tail)
    records: list[SampleRecord] = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            if lineno == len(lines):  # a torn line that happens to end where a newline was flushed
                good_end -= len(line) + 1
                break
            raise DataError(f"{path}:{lineno}: malformed record; delete the run directory and rerun") from None
        records.append(_check(obj, f"{path}:{lineno}"))
    if repair and good_end != len(data):
        with open(path, "r+b") as fh:
            fh.truncate(good_end)
            fh.flush()
            os.fsync(fh.fileno())
    return records


@dataclass(frozen=True)
class RunView:
    """One run as a report sees it."""

    path: Path
    results: dict[str, Any]
    partial: bool  # True when recomputed from an unfinished run's samples

    @property
    def label(self) -> str:
        model = self.results.get("model", {}).get("name", "?")
        mode = self.results.get("settings", {}).get("mode", "?")
        return f"{model} ({mode})"

    @property
    def metrics(self) -> dict[str, Any]:
        return self.results.get("metrics", {})


def load_run(path: Path, recompute: bool = False) -> RunView:
    """A run directory's results; `recompute` re-derives the metrics from samples.jsonl even when results.json exists."""
    path = Path(path)
    if not path.is_dir():
        raise UserError(f"{path}: not a run directory; pass a directory written by `iitbench run --output`")
    res_path = path / RESULTS_FILE
    results: dict[str, Any] | None = None
    if res_path.is_file():
        try:
            results = json.loads(res_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise UserError(f"{res_path}: malformed JSON ({e.msg}, line {e.lineno}); rerun the run to rewrite it") from None
        _check_shape(results, res_path)
    samples = path / SAMPLES_FILE
    if results is not None and not recompute:
        return RunView(path=path, results=results, partial=False)
    if not samples.is_file():
        raise UserError(f"{path}: neither {RESULTS_FILE} nor {SAMPLES_FILE}; run `iitbench run --output {path}` first")
    from iitbench.metrics import compute_metrics  # here: the runner reads records through this module, metrics-free

    out = dict(results) if results is not None else _stub(path)
    out["metrics"] = compute_metrics(read_records(samples))
    if results is not None:  # a finished run: its samples must still hold every record its results counted
        have, want = (_scored(m) for m in (out["metrics"], results["metrics"]))
        if have != want:
            raise UserError(f"{samples}: holds {have} scored records but {RESULTS_FILE} counted {want}; the file "
                            f"is incomplete or was edited; rerun `iitbench run --output {path}` to rebuild it")
    return RunView(path=path, results=out, partial=results is None)


def _scored(metrics: dict[str, Any]) -> int:
    overall = metrics.get("overall") or {}
    return int(overall.get("n") or 0) + int(overall.get("n_na") or 0)


def _check_shape(results: Any, where: Path) -> None:
    """results.json as `iitbench.schema.ResultsFile` lays it out, as far as a report reads it."""
    if not isinstance(results, dict) or not isinstance(results.get("metrics"), dict):
        raise UserError(f"{where}: not an iitbench results file ('metrics' must be an object); pass a run directory")
    metrics = results["metrics"]
    bad = [k for k in ("model", "data", "settings", "provenance") if not isinstance(results.get(k, {}), dict)]
    bad += [f"metrics.{k}" for k in ("per_config", "per_position", "per_source", "per_turn")
            if not isinstance(metrics.get(k, {}), dict)]
    bad += [] if isinstance(metrics.get("overall") or {}, dict) else ["metrics.overall"]
    if bad:
        raise UserError(f"{where}: not an iitbench results file ({bad[0]} must be an object); rerun the run")


def _stub(path: Path) -> dict[str, Any]:
    """What run.json tells about an interrupted run (model, dataset fingerprint, mode)."""
    ident: dict[str, Any] = {}
    name = "?"
    try:
        raw = json.loads((path / RUN_FILE).read_text(encoding="utf-8"))
        ident, name = raw.get("identity", {}), raw.get("dataset_name", "?")
    except (OSError, json.JSONDecodeError, AttributeError):
        pass
    return {"model": {"name": ident.get("model", "?"), "fingerprint": ident.get("model_fingerprint")},
            "data": {"name": name, "fingerprint": ident.get("dataset_fingerprint")},
            "settings": {"mode": ident.get("mode", "?")}, "provenance": {}}


__all__ = ["RECORD_KEYS", "RunView", "load_run", "read_records"]
