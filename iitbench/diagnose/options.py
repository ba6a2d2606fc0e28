"""What a diagnose run is asked to do (`DiagnoseOptions`), the predictor names, and the one-line refusal type.

A predictor that cannot be computed for a pair (different vocabularies, layer counts or architectures, a text-only
MLLM) raises `NotComputable`; the pipeline records its reason in the predictor's file and the others still run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from iitbench.errors import UserError

#: The rival predictors of text forgetting, in the order they are reported.
OUTPUT_SHIFT, CKA, WEIGHT_DRIFT, MIXING = "output_shift", "cka", "weight_drift", "mixing"
PREDICTORS = (OUTPUT_SHIFT, CKA, WEIGHT_DRIFT, MIXING)
#: Items per work chunk: the unit of resume. Fixed (not the batch size), so a rerun with another --batch-size
#: resumes the same chunks and the results do not depend on the batching beyond float rounding.
CHUNK_ITEMS = 64


class NotComputable(Exception):
    """A predictor that this model pair cannot give; the message is one line saying why."""


@dataclass(frozen=True)
class DiagnoseOptions:
    """Settings of one diagnose run; everything but `batch_size`, `keep_work` and `progress` is part of its
    identity (a rerun with other settings on the same --output is refused)."""

    predictors: tuple[str, ...] = PREDICTORS
    candidates: str | None = None  # answer format of the prompts; None: as `iitbench forgetting` picks it
    limit: int | None = None  # first N text items (per config, as `iitbench run --limit`)
    iit_limit: int | None = 100  # image dialogues for mixing (round-robin over the image configs)
    batch_size: int = 8
    seed: int = 0
    n_boot: int = 2000
    keep_work: bool = False  # keep OUTPUT/work (per-item states and logits) after a complete run
    progress: bool = True

    def __post_init__(self) -> None:
        unknown = [p for p in self.predictors if p not in PREDICTORS]
        if unknown or not self.predictors:
            raise UserError(f"--predictors {','.join(self.predictors) or '(empty)'}: use a comma-separated subset of "
                            f"{','.join(PREDICTORS)}")
        for flag, value, low in (("--limit", self.limit, 1), ("--iit-limit", self.iit_limit, 1),
                                 ("--batch-size", self.batch_size, 1), ("--n-boot", self.n_boot, 100)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < low):
                raise UserError(f"{flag} {value}: must be an integer of at least {low}")

    @classmethod
    def parse_predictors(cls, value: str | Sequence[str] | None) -> tuple[str, ...]:
        """`output_shift,cka` or a list -> a tuple in the canonical order; None/empty -> all."""
        if value is None:
            return PREDICTORS
        names = [v.strip() for v in (value.split(",") if isinstance(value, str) else value) if v.strip()]
        unknown = [n for n in names if n not in PREDICTORS]
        if unknown or not names:
            raise UserError(f"--predictors {value!r}: use a comma-separated subset of {','.join(PREDICTORS)}")
        return tuple(p for p in PREDICTORS if p in names)


__all__ = ["CHUNK_ITEMS", "CKA", "MIXING", "OUTPUT_SHIFT", "PREDICTORS", "WEIGHT_DRIFT", "DiagnoseOptions",
           "NotComputable"]
