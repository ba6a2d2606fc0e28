"""Tiny Qwen2 models for the adapter tests, built once per session (about a second each)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.tiny_lm import make_tiny_qwen2


@pytest.fixture(scope="session")
def tiny_lm(tmp_path_factory) -> Path:
    """A ChatML tiny Qwen2 (window 256)."""
    return make_tiny_qwen2(tmp_path_factory.mktemp("tiny_lm"))


@pytest.fixture(scope="session")
def tiny_lm_no_template(tmp_path_factory) -> Path:
    """The same architecture with a tokenizer that has no chat template."""
    return make_tiny_qwen2(tmp_path_factory.mktemp("tiny_lm_plain"), chat_template=False)


@pytest.fixture(scope="session")
def adapter(tiny_lm):
    from iitbench.models import load_model

    return load_model(f"hf-causal:{tiny_lm}", {"dtype": "float32"})

