"""MonitorConfig: the arguments of `ForgettingMonitor` (and the keys of the monitor's entry in a wings-train config,
iitbench/monitor/wings_train.py).

This module imports nothing heavy (no torch, no transformers), so a config can be checked before any weight is read.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from iitbench.errors import UserError

SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class MonitorConfig:
    """What the forgetting monitor measures, how often, and when it warns."""

    every_steps: int = 50  # evaluate after every N optimizer steps (and at the last step, see at_end)
    n_text: int = 64  # text probe size: IIT-synth text questions, balanced over the text families
    n_mm: int = 16  # multimodal probe size for the LAWS shift (0: no LAWS); a text turn, then an image turn
    max_text_drop: float | None = None  # warn when acc_start - acc_now >= this (0.05 = 5 points); None: never
    seed: int = 0  # synth seed of the probes and seed of the bootstraps: the same probe at every evaluation
    split: str = "dev"  # synth split of the probes; dev is disjoint from the zoo's train data and from test
    n_boot: int = 1000  # bootstrap resamples of the CIs (text delta, shift)
    batch_size: int = 8  # dialogues per forward pass while probing (scores do not depend on it)
    at_end: bool = True  # also evaluate at the last step when it is not a multiple of every_steps
    plot: bool = True  # write monitor/monitor.png at the end of training

    def __post_init__(self) -> None:
        for name in ("every_steps", "batch_size"):
            if not _is_int(getattr(self, name)) or getattr(self, name) < 1:
                raise UserError(f"monitor.{name}={getattr(self, name)!r}: use a positive integer")
        for name in ("n_text", "n_mm", "seed"):
            if not _is_int(getattr(self, name)) or getattr(self, name) < 0:
                raise UserError(f"monitor.{name}={getattr(self, name)!r}: use a non-negative integer")
        if self.n_text == 0 and self.n_mm == 0:
            raise UserError("monitor: n_text and n_mm are both 0; probe at least one kind (or remove the block)")
        if not _is_int(self.n_boot) or self.n_boot < 100:
            raise UserError(f"monitor.n_boot={self.n_boot!r}: use at least 100 resamples")
        drop = self.max_text_drop
        # A negative threshold warns even when accuracy does not rise by that much; the tests use it to force a warning.
        if drop is not None and (isinstance(drop, bool) or not isinstance(drop, (int, float)) or not -1 <= drop <= 1):
            raise UserError(f"monitor.max_text_drop={drop!r}: use a fraction of accuracy in [-1, 1] (0.05 = 5 "
                            "points), or null for no warning")
        if self.split not in SPLITS:
            raise UserError(f"monitor.split={self.split!r}: use one of {', '.join(SPLITS)}")
        for name in ("at_end", "plot"):
            if not isinstance(getattr(self, name), bool):
                raise UserError(f"monitor.{name}={getattr(self, name)!r}: write true or false")

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> MonitorConfig:
        """From the YAML block; unknown keys are refused with the list of known ones."""
        data = {} if data is None else data
        if not isinstance(data, dict):
            raise UserError(f"monitor: {data!r} is not a mapping; write e.g. `monitor: {{every_steps: 50}}`")
        known = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise UserError(f"monitor: unknown key(s) {unknown}; known keys are {known}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


__all__ = ["MonitorConfig", "SPLITS"]
