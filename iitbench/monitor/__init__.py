"""Forgetting monitor during training: an HF TrainerCallback that, every N steps, scores a fixed IIT-synth text probe
against the starting model (paired delta with a bootstrap CI) and the LAWS attention shift on a multimodal probe,
logs both through the Trainer and to OUTPUT/monitor/monitor.jsonl, plots them at the end and warns past a threshold.

    from iitbench.monitor import ForgettingMonitor
    ForgettingMonitor({"every_steps": 50, "max_text_drop": 0.05}).attach(trainer)

`wings-train` takes it as a callback named by import path in its YAML (`callbacks: {monitor: {path:
iitbench.monitor.wings_train.forgetting_monitor, every_steps: 50}}`, iitbench/monitor/wings_train.py); wings_ref
itself names no iitbench module. Attributes are imported on first use, so `iitbench.monitor.config` pulls in no torch.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "ForgettingMonitor": "iitbench.monitor.callback",
    "MonitorConfig": "iitbench.monitor.config",
    "MonitorRecord": "iitbench.monitor.records",
    "live_adapter": "iitbench.monitor.adapters",
    "read_records": "iitbench.monitor.records",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'iitbench.monitor' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_EXPORTS[name]), name)


__all__ = sorted(_EXPORTS)
