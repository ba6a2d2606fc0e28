"""Tiny checkpoints written in the official (AIDC-AI/Wings-Qwen1_5-8B) key layout, for the loader tests.

The key mapping here is written independently of wings_ref.official, so the tests check that mapping too.
Tiny stand-ins for the real sizes: SigLIP 3 layers of which the loader keeps 2 (the release: 26 of 27).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from transformers import Qwen2Config

from wings_ref import WingsConfig, WingsForConditionalGeneration

IMAGE_TOKEN, SYSTEM_LEN, RANK, ROUTER_WIDTH, THETA = 5, 3, 4, 64, 10000.0
VISION_FULL = dict(hidden_size=32, image_size=32, patch_size=8, num_hidden_layers=3, num_attention_heads=2,
                   intermediate_size=64)
TEXT = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4, intermediate_size=128,
            vocab_size=128, max_position_embeddings=256, rms_norm_eps=1e-6)
LOADER_KWARGS = dict(vision_config=VISION_FULL, system_prompt_len=SYSTEM_LEN, image_token_id=IMAGE_TOKEN)
OFFICIAL_TOWER = "model.vision_tower.vision_tower.vision_model."


def direct_config(mode: str = "official") -> WingsConfig:
    """What the loader must build for the tiny checkpoint: 2 of 3 tower layers, last kept layer, no post-LN."""
    text = Qwen2Config(**TEXT, rope_theta=THETA)
    return WingsConfig(text_config=text.to_dict(), vision_config={**VISION_FULL, "num_hidden_layers": 2},
                       vision_feature_layer=-1, mode=mode, learner_rank=RANK, router_width=ROUTER_WIDTH,
                       system_prompt_len=SYSTEM_LEN, image_token_id=IMAGE_TOKEN)


def build_direct_model(seed: int = 0) -> WingsForConditionalGeneration:
    """Random tiny model with non-zero learner B weights, router and post_layernorm (which must stay unused)."""
    torch.manual_seed(seed)
    model = WingsForConditionalGeneration(direct_config()).eval()
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            if "pool" in name or "reweight_module" in name or "post_layernorm" in name:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.3)
    return model


def official_key(wings_key: str) -> str:
    prefix = "model.vision_tower."
    return OFFICIAL_TOWER + wings_key[len(prefix):] if wings_key.startswith(prefix) else wings_key


def official_state(model: WingsForConditionalGeneration, extra_tower_layer: bool = False) -> dict:
    """The model's weights under official names, plus the SigLIP pooling head that the release carries."""
    gen = torch.Generator().manual_seed(7)
    state = {official_key(k): v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    width = VISION_FULL["hidden_size"]
    state[OFFICIAL_TOWER + "head.probe"] = torch.randn(1, 1, width, generator=gen)
    state[OFFICIAL_TOWER + "head.attention.in_proj_weight"] = torch.randn(3 * width, width, generator=gen)
    if extra_tower_layer:  # a full (untruncated) tower: layer 2 must be dropped by the loader
        last = OFFICIAL_TOWER + "encoder.layers.1."
        for key in [k for k in state if k.startswith(last)]:
            state[key.replace("layers.1.", "layers.2.")] = torch.randn(state[key].shape, generator=gen)
    return dict(sorted(state.items()))


def official_config_json(**overrides) -> dict:
    """A config.json whose WINGS/vision fields deliberately disagree with the real hyper-parameters."""
    config = {"architectures": ["WingsQwen2ForCausalLM"], "model_type": "qwen2", **TEXT, "rope_theta": THETA,
              "hidden_act": "silu", "tie_word_embeddings": False, "torch_dtype": "float32",
              "mm_vision_select_layer": -2, "mm_hidden_size": 1152, "mm_projector_type": "mlp2x_gelu",
              "mm_vision_tower": "google/siglip-so400m-patch14-384", "image_aspect_ratio": "pad"}
    config.update(overrides)
    return config


def write_checkpoint(directory: Path, state: dict, n_shards: int = 3, index: bool = True, config: dict | None = None,
                     fmt: str = "safetensors") -> Path:
    """Split `state` into n_shards files (+ index json) and write config.json; returns the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    keys = sorted(state)
    weight_map = {}
    for shard in range(n_shards):
        part = {k: state[k] for k in keys[shard::n_shards]}
        name = f"model-{shard + 1:05d}-of-{n_shards:05d}.{'safetensors' if fmt == 'safetensors' else 'bin'}"
        if fmt == "safetensors":
            save_file(part, str(directory / name), metadata={"format": "pt"})
        else:
            torch.save(part, directory / name)
        weight_map.update({k: name for k in part})
    if index:
        index_name = "model.safetensors.index.json" if fmt == "safetensors" else "pytorch_model.bin.index.json"
        (directory / index_name).write_text(json.dumps({"metadata": {}, "weight_map": weight_map}, indent=1,
                                                       sort_keys=True))
    (directory / "config.json").write_text(json.dumps(config or official_config_json(), indent=1, sort_keys=True))
    return directory


# Fixtures for the test modules that import them (kept here so tests/wings_ref/conftest.py stays untouched).
@pytest.fixture(scope="session")
def direct_model() -> WingsForConditionalGeneration:
    return build_direct_model()


@pytest.fixture(scope="session")
def official_dir(tmp_path_factory, direct_model) -> Path:
    return write_checkpoint(tmp_path_factory.mktemp("official"), official_state(direct_model))
