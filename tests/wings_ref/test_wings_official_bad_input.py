"""Bad official-layout checkpoints fail with one-line CheckpointErrors that name the file or key."""

from __future__ import annotations

import json

import pytest
import torch

from tests.wings_ref.official_layout import LOADER_KWARGS, direct_model, official_state, write_checkpoint  # noqa: F401
from wings_ref.errors import CheckpointError
from wings_ref.official import load_official


@pytest.fixture
def state(direct_model):
    return official_state(direct_model)


def load_error(directory, **kwargs) -> str:
    with pytest.raises(CheckpointError) as info:
        load_official(directory, **LOADER_KWARGS, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_checkpoint_error_is_a_value_error():
    assert issubclass(CheckpointError, ValueError)


def test_missing_shard_listed_in_the_index_is_named(tmp_path, state):
    directory = write_checkpoint(tmp_path / "c", state)
    (directory / "model-00002-of-00003.safetensors").unlink()
    assert "model-00002-of-00003.safetensors" in load_error(directory)


def test_unexpected_key_is_named_with_the_count_of_others(tmp_path, state):
    state["model.layers.0.mystery.weight"] = torch.zeros(2)
    state["model.layers.1.mystery.weight"] = torch.zeros(2)
    message = load_error(write_checkpoint(tmp_path / "c", state))
    assert "model.layers.0.mystery.weight" in message and "(and 1 more)" in message


def test_missing_key_is_named(tmp_path, state):
    del state["model.layers.1.attn_t_pool.v_proj.1.weight"]
    assert "model.layers.1.attn_t_pool.v_proj.1.weight" in load_error(write_checkpoint(tmp_path / "c", state))


def test_missing_kept_tower_layer_is_reported_missing(tmp_path, state):
    for key in [k for k in state if ".encoder.layers.1." in k]:
        del state[key]
    assert "model.vision_tower.encoder.layers.1." in load_error(write_checkpoint(tmp_path / "c", state))


def test_inconsistent_learner_rank_names_the_key_and_both_shapes(tmp_path, state):
    key = "model.layers.1.attn_pool.k_proj.0.weight"
    state[key] = torch.zeros(8, 64)
    message = load_error(write_checkpoint(tmp_path / "c", state))
    assert key in message and "[8, 64]" in message and "[4, 64]" in message


def test_explicit_rank_that_disagrees_with_the_weights_names_both_shapes(tmp_path, state):
    message = load_error(write_checkpoint(tmp_path / "c", state), learner_rank=8)
    assert "attn_pool" in message and "[4, 64]" in message and "[8, 64]" in message


def test_config_layer_count_that_disagrees_with_the_weights_is_refused(tmp_path, state):
    directory = write_checkpoint(tmp_path / "c", state)
    config = json.loads((directory / "config.json").read_text())
    (directory / "config.json").write_text(json.dumps({**config, "num_hidden_layers": 3}))
    assert "num_hidden_layers=3" in load_error(directory)


def test_hidden_size_that_disagrees_with_the_weights_names_a_key(tmp_path, state):
    directory = write_checkpoint(tmp_path / "c", state)
    config = json.loads((directory / "config.json").read_text())
    (directory / "config.json").write_text(json.dumps({**config, "hidden_size": 32, "num_attention_heads": 2,
                                                       "num_key_value_heads": 2}))
    message = load_error(directory)
    assert "lm_head.weight has shape [128, 64]" in message and "expects [128, 32]" in message


def test_pickle_only_checkpoint_is_refused_without_the_flag(tmp_path, state):
    directory = write_checkpoint(tmp_path / "c", state, n_shards=2, fmt="pickle")
    assert "allow_pickle" in load_error(directory)


@torch.no_grad()
def test_pickle_only_checkpoint_loads_with_the_flag(tmp_path, state, direct_model):
    directory = write_checkpoint(tmp_path / "c", state, n_shards=2, fmt="pickle")
    model = load_official(directory, allow_pickle=True, **LOADER_KWARGS)
    ids = torch.tensor([[20, 21, 22, 23]])
    assert torch.equal(model(ids).logits, direct_model(ids).logits)


def test_directory_without_weights_or_config_is_refused(tmp_path, state):
    (tmp_path / "empty").mkdir()
    assert "no *.safetensors" in load_error(tmp_path / "empty")
    directory = write_checkpoint(tmp_path / "c", state)
    (directory / "config.json").unlink()
    assert "config.json" in load_error(directory)
