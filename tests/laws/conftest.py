"""Session fixtures for the LAWS tests: the tiny HF VLMs (shared with tests/models), a tiny WINGS checkpoint, a
two-item dataset with images, and a helper for user messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tests.models.hf_vlm_fixtures import image_root, vlm_adapter, vlm_dirs  # noqa: F401  (session fixtures)

_WINGS: dict[str, object] = {}


@pytest.fixture(scope="session")
def wings_dir(tmp_path_factory) -> Path:
    from tests.fixtures.tiny_wings import make_tiny_wings

    if "dir" not in _WINGS:
        _WINGS["dir"] = make_tiny_wings(tmp_path_factory.mktemp("laws_wings"))
    return _WINGS["dir"]


@pytest.fixture(scope="session")
def wings_adapter(wings_dir):
    from iitbench.models import load_model

    if "adapter" not in _WINGS:
        _WINGS["adapter"] = load_model(f"wings:{wings_dir}", {})
    return _WINGS["adapter"]


@pytest.fixture(scope="session")
def laws_dataset(tmp_path_factory) -> Path:
    """Three items: TV (text before and after the image), V with the image first (excluded), T (no image)."""
    from iitbench.data.manifest import write_dataset
    from iitbench.data.types import ImagePart, Item, TextPart, Turn

    root = tmp_path_factory.mktemp("laws_data")
    (root / "images").mkdir()
    Image.new("RGB", (40, 30), (10, 10, 200)).save(root / "images" / "blue.png")
    text = Turn("T", "synth.colour", (TextPart("The sky is often this colour."),), ("blue", "red"), 0)
    image = Turn("V", "synth.colour", (ImagePart("images/blue.png"), TextPart("Which colour is shown?")),
                 ("blue", "red"), 0)
    items = [Item("tv", "TV", (text, image), 1), Item("v", "V", (image,), 0), Item("t", "T", (text,), 0)]
    write_dataset(root, items, name="laws-test", version="1", licences={"synth": "CC0"}, build={})
    return root
