"""The forgetting monitor as a wings-train callback. wings_ref names no iitbench module (it stands alone), so a
wings-train config names this factory by import path (wings_ref/train/callbacks.py):

    callbacks:
      monitor: {path: iitbench.monitor.wings_train.forgetting_monitor, every_steps: 50, max_text_drop: 0.05}

The keys are MonitorConfig's (iitbench/monitor/config.py), checked when wings-train builds the run, before any weight
is loaded; `-o callbacks.monitor.every_steps=10` overrides one.
"""

from __future__ import annotations

from typing import Any

from iitbench.monitor.callback import ForgettingMonitor
from iitbench.monitor.config import MonitorConfig


class WingsTrainMonitor(ForgettingMonitor):
    """ForgettingMonitor that reads a WINGS model through its checkpoint's own processor file (image settings,
    system prompt) when it has one, as wings-train saves it; otherwise through the model's config."""

    def attach(self, trainer) -> WingsTrainMonitor:
        from wings_ref import WingsForConditionalGeneration
        from wings_ref.processing_wings import WingsProcessor

        model = trainer.model
        if self.processor is None and isinstance(model, WingsForConditionalGeneration) and model.name_or_path:
            self.processor = WingsProcessor.from_pretrained(model.name_or_path, tokenizer=trainer.processing_class,
                                                            config=model.config)
        super().attach(trainer)
        return self


def forgetting_monitor(**keys: Any) -> WingsTrainMonitor:
    """The monitor of a wings-train `callbacks:` entry; bad keys raise UserError (exit code 2, one line)."""
    return WingsTrainMonitor(MonitorConfig.from_dict(keys))


__all__ = ["WingsTrainMonitor", "forgetting_monitor"]
