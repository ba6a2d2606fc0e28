"""Tiny VLMs of four families for the `hf` adapter tests, built once per session (about 10 s for all four).

Imported by the test modules (a uniquely named module: every test dir has its own conftest); the module-level
caches make the session fixtures build each model once even though two modules import them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from iitbench.data.types import TextPart
from iitbench.models import ImageRef, Message
from tests.fixtures.tiny_vlms import BUILDERS

FAMILIES = sorted(BUILDERS)
_DIRS: dict[str, Path] = {}
_ADAPTERS: dict[tuple[str, int], object] = {}


@pytest.fixture(scope="session")
def vlm_dirs(tmp_path_factory) -> dict[str, Path]:
    if not _DIRS:
        for family in FAMILIES:
            _DIRS[family] = BUILDERS[family](tmp_path_factory.mktemp(f"tiny_{family}"))
    return _DIRS


@pytest.fixture(scope="session")
def vlm_adapter(vlm_dirs):
    """`vlm_adapter(family, batch_size)`: a loaded `hf:` adapter, shared by the session."""
    from iitbench.models import load_model

    def get(family: str, batch_size: int = 8):
        key = (family, batch_size)
        if key not in _ADAPTERS:
            _ADAPTERS[key] = load_model(f"hf:{vlm_dirs[family]}", {"batch_size": batch_size})
        return _ADAPTERS[key]

    return get


@pytest.fixture(scope="session")
def image_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("vlm_images")
    Image.new("RGB", (60, 50), (200, 10, 10)).save(root / "red.png")
    Image.new("RGB", (20, 40), (0, 100, 10)).save(root / "green.png")
    return root


def user(*parts) -> Message:
    return Message(role="user", parts=tuple(TextPart(p) if isinstance(p, str) else p for p in parts))


def assistant(text: str) -> Message:
    return Message(role="assistant", parts=(TextPart(text),))


def img(root: Path, name: str) -> ImageRef:
    return ImageRef(root=root, path=name)


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny models run ~40x faster on one thread when the 2-core machine is busy (OpenMP threads spin-wait)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
