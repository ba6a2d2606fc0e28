"""Tiny datasets for the runner tests, built once per session with write_dataset (+ a few PNGs for V turns)."""

from __future__ import annotations

from pathlib import Path

import pytest

from iitbench.models import MODELS
from tests.runner.adapters import ContextAdapter, TextOnlyAdapter
from tests.runner.dataset_factory import make_dataset

# Registered in-process (no plug-in): load_model("context", {...}) records init_args, so fingerprints see the args.
MODELS.register("context", ContextAdapter, origin="tests")
MODELS.register("text-only", TextOnlyAdapter, origin="tests")


@pytest.fixture(scope="session")
def small_ds(tmp_path_factory) -> Path:
    """8 items of each paper config (48 items), 3-4 options, a few images."""
    return make_dataset(tmp_path_factory.mktemp("small"), per_config=8)


@pytest.fixture(scope="session")
def big_ds(tmp_path_factory) -> Path:
    """50 items of each paper config (300 items), for the SIGKILL resume test."""
    return make_dataset(tmp_path_factory.mktemp("big"), per_config=50)
