"""Big-model placement for `hf-causal:` and `hf:` (iitbench/models/placement.py): a device map spreading a tiny model
over CPU memory and disk (accelerate's offload) scores and generates exactly like the plain load; a model that
cannot fit is refused in one line before loading; a map under torchrun is refused."""

from __future__ import annotations

import json

import pytest

from iitbench.errors import ModelError
from iitbench.models import ChoiceRequest, GenerateRequest, load_model
from tests.models.chat_messages import assistant, user
from tests.models.hf_vlm_fixtures import image_root, img, vlm_dirs  # noqa: F401
from tests.models.hf_vlm_fixtures import user as vlm_user

LM_MAP = {"model.embed_tokens": "cpu", "model.rotary_emb": "cpu", "model.layers.0": "disk", "model.layers.1": "cpu",
          "model.norm": "cpu", "lm_head": "cpu"}
# The vision tower stays in memory: SigLIP's attention-pooling head (torch's MultiheadAttention) reads its weights
# outside the hooks accelerate puts on offloaded modules, so it cannot run from disk.
LLAVA_MAP = {"model.vision_tower": "cpu", "model.multi_modal_projector": "cpu",
             "model.language_model.embed_tokens": "cpu", "model.language_model.rotary_emb": "cpu",
             "model.language_model.layers": "disk", "model.language_model.norm": "cpu", "lm_head": "cpu"}


def _map(tmp_path, mapping) -> str:
    path = tmp_path / "map.json"
    path.write_text(json.dumps(mapping))
    return str(path)


def test_hf_causal_offloaded_to_disk_scores_and_generates_like_the_plain_load(tiny_lm, tmp_path):
    plain = load_model(f"hf-causal:{tiny_lm}")
    spread = load_model(f"hf-causal:{tiny_lm}", {"device_map": _map(tmp_path, LM_MAP),
                                                 "offload_folder": str(tmp_path / "offload")})
    assert spread.describe()["device_map"] == LM_MAP and spread.device == "cpu"
    # layer 0 really is offloaded: its weights are placeholders until its forward loads them (safetensors checkpoints
    # are read from their own files, so the offload folder may stay empty)
    assert spread.model.model.layers[0].self_attn.q_proj.weight.device.type == "meta"
    assert spread.model.model.layers[1].self_attn.q_proj.weight.device.type == "cpu"
    reqs = [ChoiceRequest(key="a", messages=(user("Which is red?"),), choices=("apple", "sky", "grass")),
            ChoiceRequest(key="b", messages=(user("Hi"), assistant("hello"), user("2+2?")), choices=("4", "5"))]
    assert spread.score_choices(reqs) == plain.score_choices(reqs)
    gen = [GenerateRequest(key="g", messages=(user("Say something"),), max_new_tokens=6)]
    assert spread.generate(gen) == plain.generate(gen)


def test_hf_vlm_offloaded_to_disk_scores_like_the_plain_load(vlm_dirs, image_root, tmp_path):  # noqa: F811
    plain = load_model(f"hf:{vlm_dirs['llava']}")
    spread = load_model(f"hf:{vlm_dirs['llava']}", {"device_map": _map(tmp_path, LLAVA_MAP),
                                                    "offload_folder": str(tmp_path / "offload")})
    assert spread.describe()["device_map"] == LLAVA_MAP
    assert spread.model.model.language_model.layers[0].mlp.up_proj.weight.device.type == "meta"  # on disk
    red = img(image_root, "red.png")
    reqs = [ChoiceRequest(key="v", messages=(vlm_user(red, "What colour?"),), choices=("red", "green")),
            ChoiceRequest(key="t", messages=(vlm_user("No image here."),), choices=("yes", "no"))]
    assert spread.score_choices(reqs) == plain.score_choices(reqs)


def test_a_model_that_cannot_fit_is_refused_before_loading(tiny_lm, monkeypatch):
    from wings_ref import placement

    monkeypatch.setattr(placement, "free_bytes", lambda device: 1000)  # wings: tests/models/test_wings_adapter.py
    with pytest.raises(ModelError, match=r"GiB in float32 but cpu has 0\.0 GiB free; pass device_map=auto") as err:
        load_model(f"hf-causal:{tiny_lm}")
    assert "\n" not in str(err.value)


def test_a_device_map_under_torchrun_is_refused(tiny_lm, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ModelError, match="under torchrun each process holds the whole model"):
        load_model(f"hf-causal:{tiny_lm}", {"device_map": "auto"})


@pytest.mark.parametrize("args,message", [
    ({"device_map": "everywhere"}, "device_map='everywhere': use one of auto"),
    ({"offload_folder": "/tmp/x"}, "offload_folder: only used with device_map"),
])
def test_bad_placement_arguments_are_one_line_errors(tiny_lm, args, message):
    with pytest.raises(ModelError, match=message):
        load_model(f"hf-causal:{tiny_lm}", args)
