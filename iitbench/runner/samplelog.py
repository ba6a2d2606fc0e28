"""`samples.jsonl`: the append-only, resumable record of every scored (item, turn).

Records are appended a batch at a time and flushed to the OS, so a killed process (SIGKILL) loses at most the batch
in flight; a torn last line is dropped on reload. fsync (which only matters if the machine itself goes down) runs
at most once per `FSYNC_INTERVAL_S` and at close: one fsync per batch would cap batch-size-1 runs of fast models at a
few hundred turns/s. When the run ends the file is rewritten atomically in
canonical order (dataset item order, then turn), so interrupted-and-resumed and uninterrupted runs give the same bytes.
Reading the file back (`read_records`, torn-line repair included) is iitbench/run_files.py's, shared with every reader.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from iitbench.run_files import RECORD_KEYS, read_records
from iitbench.schema import SAMPLES_FILE, SampleRecord

RecordKey = tuple[str, int]

FSYNC_INTERVAL_S = 1.0


def dumps_record(rec: SampleRecord) -> str:
    return json.dumps({k: rec.get(k) for k in RECORD_KEYS}, ensure_ascii=False, allow_nan=True) + "\n"


class SampleLog:
    """The open samples file of a run: `load()` what is there, `append()` batches, `finalize()` at the end."""

    def __init__(self, run_dir: Path, name: str = SAMPLES_FILE):
        # `name`: data-parallel ranks append to their own shard log (see `runner.distributed`).
        self.path = Path(run_dir) / name
        self.final_path = Path(run_dir) / SAMPLES_FILE
        self._fh: IO[str] | None = None
        self._last_sync = 0.0

    def load(self) -> dict[RecordKey, SampleRecord]:
        """Records already present, by (id, turn); repairs a torn last line."""
        return {(r["id"], int(r["turn"])): r for r in read_records(self.path, repair=True)}

    def append(self, records: Iterable[SampleRecord]) -> None:
        text = "".join(dumps_record(r) for r in records)
        if not text:
            return
        if self._fh is None:
            self._fh = open(self.path, "a", encoding="utf-8")
        self._fh.write(text)
        self._fh.flush()  # in the OS page cache now: survives the death of this process
        now = time.monotonic()
        if now - self._last_sync >= FSYNC_INTERVAL_S:
            os.fsync(self._fh.fileno())
            self._last_sync = now

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None

    def finalize(self, ordered: Iterable[SampleRecord]) -> None:
        """Rewrite the file atomically with exactly `ordered` (canonical order)."""
        self.close()
        tmp = self.final_path.with_name(self.final_path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write("".join(dumps_record(r) for r in ordered))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.final_path)

    def __enter__(self) -> SampleLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
