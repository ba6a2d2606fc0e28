"""One evaluation of the monitor as a record: a JSONL line in OUTPUT/monitor/monitor.jsonl and scalars for the
Trainer's log (`trainer.log`, so `state.log_history` and every report_to integration get them).

Sign convention: text_delta = acc_now - acc_start on the same items (negative = forgetting), as
`iitbench.metrics.paired.compare_paired(now, start)` computes it, with its paired bootstrap 95% CI.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

LOG_PREFIX = "monitor/"  # trainer-log keys; TensorBoard groups them under one section
BASELINE_FILE, RECORDS_FILE, PLOT_FILE = "baseline.json", "monitor.jsonl", "monitor.png"


@dataclass(frozen=True)
class MonitorRecord:
    step: int
    epoch: float | None
    seconds: float  # wall time of this evaluation (text + LAWS), what benchmarks/monitor_overhead.py reports
    text_n: int = 0
    text_acc: float | None = None
    text_acc_start: float | None = None
    text_delta: float | None = None  # acc_now - acc_start (negative: forgetting)
    text_delta_ci95: tuple[float, float] | None = None
    text_mcnemar_p: float | None = None
    text_seconds: float = 0.0
    shift: float | None = None  # LAWS attention shift of the current model
    shift_ci95: tuple[float, float] | None = None
    shift_start: float | None = None
    shift_n: int = 0
    shift_excluded: dict[str, int] = field(default_factory=dict)
    laws_seconds: float = 0.0
    warning: bool = False  # the text drop reached max_text_drop
    warning_message: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("text_delta_ci95", "shift_ci95"):
            out[key] = list(out[key]) if out[key] is not None else None
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MonitorRecord:
        data = dict(data)
        for key in ("text_delta_ci95", "shift_ci95"):
            if data.get(key) is not None:
                data[key] = tuple(data[key])
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def log_metrics(self) -> dict[str, float]:
        """Scalars for `trainer.log`: floats only (integrations drop anything else), None/NaN left out."""
        values: dict[str, Any] = {
            "text_acc": self.text_acc, "text_acc_start": self.text_acc_start, "text_delta": self.text_delta,
            "text_delta_lo": self.text_delta_ci95[0] if self.text_delta_ci95 else None,
            "text_delta_hi": self.text_delta_ci95[1] if self.text_delta_ci95 else None,
            "laws_shift": self.shift, "laws_shift_lo": self.shift_ci95[0] if self.shift_ci95 else None,
            "laws_shift_hi": self.shift_ci95[1] if self.shift_ci95 else None,
            "text_drop_warning": float(self.warning), "seconds": self.seconds,
        }
        return {LOG_PREFIX + k: float(v) for k, v in values.items() if v is not None and math.isfinite(float(v))}


def append_record(path: Path, record: MonitorRecord) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record.to_json(), sort_keys=True) + "\n")


def read_records(path: Path) -> list[MonitorRecord]:
    if not path.is_file():
        return []
    return [MonitorRecord.from_json(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def keep_until(path: Path, step: int) -> list[MonitorRecord]:
    """Records up to `step` (a resumed run drops what a crashed run logged after its checkpoint); file rewritten."""
    kept = [r for r in read_records(path) if r.step <= step]
    if path.is_file():
        path.write_text("".join(json.dumps(r.to_json(), sort_keys=True) + "\n" for r in kept), encoding="utf-8")
    return kept


__all__ = ["BASELINE_FILE", "LOG_PREFIX", "MonitorRecord", "PLOT_FILE", "RECORDS_FILE", "append_record",
           "keep_until", "read_records"]
