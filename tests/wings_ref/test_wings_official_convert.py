"""python -m wings_ref.convert: official layout -> wings_ref format, round trip through from_pretrained."""

from __future__ import annotations

import json

import pytest
import torch

import wings_ref.convert as convert_module
from tests.wings_ref.official_layout import LOADER_KWARGS, VISION_FULL, direct_model, official_dir  # noqa: F401
from tests.wings_ref.wings_tiny import pad_batch, pixels
from wings_ref import WingsForConditionalGeneration
from wings_ref.official import load_official


@pytest.fixture(autouse=True)
def tiny_vision_defaults(monkeypatch):
    """The CLI uses the official SigLIP defaults; for the tiny checkpoint, swap in the tiny tower and prompt length."""
    original = convert_module.read_official

    def tiny_read(*args, **kwargs):
        return original(*args, **{**{k: v for k, v in LOADER_KWARGS.items()}, **kwargs})

    monkeypatch.setattr(convert_module, "read_official", tiny_read)


def inputs():
    ids, mask = pad_batch([[7, 8, 9, 10] + [5] * 16 + [11, 12, 13], [20, 21, 22, 23, 24]], "right")
    return ids, mask, pixels(1, 2)


@pytest.mark.parametrize("mode", ["official", "clean"])
@torch.no_grad()
def test_converted_checkpoint_gives_identical_logits_and_records_the_mode(tmp_path, official_dir, mode):
    out = tmp_path / "out"
    assert convert_module.main([str(official_dir), str(out), "--mode", mode]) == 0
    assert sorted(p.name for p in out.glob("*.safetensors")) and not list(out.glob("*.bin"))
    converted = WingsForConditionalGeneration.from_pretrained(out).eval()
    assert converted.config.mode == mode and json.loads((out / "config.json").read_text())["mode"] == mode
    loaded = load_official(official_dir, mode=mode, **LOADER_KWARGS)
    ids, mask, images = inputs()
    assert torch.equal(converted(ids, pixel_values=images, attention_mask=mask).logits,
                       loaded(ids, pixel_values=images, attention_mask=mask).logits)
    assert "Tongyi Qianwen" in (out / "README.md").read_text()


def test_convert_of_a_bad_checkpoint_exits_2_with_one_line(tmp_path, capsys):
    (tmp_path / "src").mkdir()
    assert convert_module.main([str(tmp_path / "src"), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_convert_refuses_a_non_empty_output_directory(tmp_path, official_dir):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    assert convert_module.main([str(official_dir), str(tmp_path / "out")]) == 2
    assert (tmp_path / "out" / "keep.txt").read_text() == "x"


def test_default_vision_tower_is_so400m_truncated_to_26_layers():
    assert VISION_FULL["num_hidden_layers"] - 1 == 2  # the tiny stand-in mirrors 27 -> 26
    from wings_ref.official import OFFICIAL_VISION

    assert OFFICIAL_VISION["num_hidden_layers"] == 27 and OFFICIAL_VISION["hidden_size"] == 1152
