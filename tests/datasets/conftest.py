"""Fixtures of the build tests: a hand-made pool and the embedder, loaded once per session."""

from __future__ import annotations

import pytest

from iitbench.data.types import Question
from tests.datasets.build_fixtures import make_pool


@pytest.fixture
def pool() -> list[Question]:
    return make_pool()


@pytest.fixture(scope="session")
def embedder():
    """The bundled MiniLM, loaded once for the whole session (lru_cache keeps it for assemble too)."""
    from iitbench.datasets.embed import load_embedder

    return load_embedder(None)


@pytest.fixture
def synth():
    return pytest.importorskip("iitbench.sources.synth", reason="the synth sources are not importable yet")
