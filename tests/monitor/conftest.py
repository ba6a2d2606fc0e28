"""Session fixtures for the forgetting-monitor tests: a tiny WINGS checkpoint (window 1024, so the two-turn probe
dialogues fit) and the wings-train config builder of tests/wings_ref/train."""

from __future__ import annotations

from pathlib import Path

import pytest

_CACHE: dict[str, Path] = {}


@pytest.fixture(scope="session")
def wings_dir(tmp_path_factory) -> Path:
    from tests.fixtures.tiny_wings import make_tiny_wings

    if "wings" not in _CACHE:
        _CACHE["wings"] = make_tiny_wings(tmp_path_factory.mktemp("monitor_wings"))
    return _CACHE["wings"]


@pytest.fixture(scope="session")
def run_config(wings_dir):
    """`run_config(tmp, **overrides)`: a 4-step stage-2 wings-train config dict on the tiny checkpoint."""
    from tests.wings_ref.train.train_tiny import base_config

    def make(tmp: Path, **overrides) -> dict:
        return base_config(tmp, model_path=str(wings_dir), stage=2, max_steps=4, **overrides)

    return make
