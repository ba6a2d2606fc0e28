"""Loading the released layout where it fits: a multi-device map (CPU memory + disk offload through accelerate) gives
the same model, and a model that cannot fit is refused in one line before any weight is allocated."""

from __future__ import annotations

import pytest
import torch

from tests.wings_ref.official_layout import LOADER_KWARGS, direct_model, official_dir  # noqa: F401
from tests.wings_ref.released_reference import IMAGE_IDS, TEXT_IDS
from tests.wings_ref.wings_tiny import pixels
from wings_ref import placement
from wings_ref.errors import CheckpointError
from wings_ref.official import load_official

SPLIT = {  # every kind of placement accelerate offers on a CPU-only machine: in memory, and offloaded to disk
    "model.embed_tokens": "cpu", "model.rotary_emb": "cpu", "model.vision_tower": "disk", "model.mm_projector": "cpu",
    "model.layers.0": "cpu", "model.layers.1": "disk", "model.norm": "cpu", "lm_head": "disk",
}


@pytest.fixture(scope="module")
def plain(official_dir):
    return load_official(official_dir, **LOADER_KWARGS)


@pytest.fixture(scope="module")
def spread(official_dir, tmp_path_factory):
    return load_official(official_dir, device_map=SPLIT, offload_folder=tmp_path_factory.mktemp("offload"),
                         **LOADER_KWARGS)


@torch.no_grad()
def test_a_cpu_and_disk_device_map_gives_the_same_logits(plain, spread):
    assert getattr(spread, "hf_device_map", None) == SPLIT
    assert spread.model.layers[1].self_attn.q_proj.weight.device.type == "meta"  # really offloaded
    for ids, image in ((IMAGE_IDS, pixels(1, 5)), (TEXT_IDS, None)):
        want = plain(torch.tensor([ids]), pixel_values=image).logits
        assert torch.equal(spread(torch.tensor([ids]), pixel_values=image).logits, want)


@torch.no_grad()
def test_a_dispatched_model_generates_the_same_tokens(plain, spread):
    for ids, image in ((IMAGE_IDS, pixels(1, 5)), (TEXT_IDS, None)):
        kwargs = dict(input_ids=torch.tensor([ids]), pixel_values=image, max_new_tokens=6, do_sample=False,
                      pad_token_id=0, eos_token_id=None)
        assert torch.equal(spread.generate(**kwargs), plain.generate(**kwargs))


def test_input_device_is_the_embeddings_execution_device(plain, spread):
    assert placement.input_device(plain) == torch.device("cpu") == placement.input_device(spread)


def test_a_model_that_does_not_fit_is_refused_before_loading(official_dir, monkeypatch):
    monkeypatch.setattr(placement, "free_bytes", lambda device: 1024)
    built = []
    monkeypatch.setattr("wings_ref.official.WingsForConditionalGeneration._from_config",
                        classmethod(lambda cls, *a, **k: built.append(1)))
    with pytest.raises(CheckpointError) as err:
        load_official(official_dir, **LOADER_KWARGS)
    message = str(err.value)
    assert "\n" not in message and "GiB in float32" in message and "device_map=auto" in message
    assert built == []


def test_weight_bytes_follow_the_dtype():
    assert placement.weight_bytes([10, 6], torch.bfloat16) == 32
    assert placement.weight_bytes([10, 6], torch.float32) == 64


def test_an_unknown_device_map_strategy_is_a_one_line_error(official_dir):
    with pytest.raises(CheckpointError, match="device_map='everywhere': use one of auto"):
        load_official(official_dir, device_map="everywhere", **LOADER_KWARGS)
