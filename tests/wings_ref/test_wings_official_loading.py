"""load_official on a tiny checkpoint in the official key layout: mapping, inferred hyper-parameters, equivalence."""

from __future__ import annotations

import pytest
import torch

from tests.wings_ref.official_layout import (  # noqa: F401  (direct_model, official_dir: fixtures)
    LOADER_KWARGS,
    OFFICIAL_TOWER,
    RANK,
    ROUTER_WIDTH,
    direct_model,
    official_dir,
    official_state,
    write_checkpoint,
)
from tests.wings_ref.wings_tiny import pad_batch, pixels
from wings_ref.official import read_official


def batch():
    image = [7, 8, 9, 10] + [5] * 16 + [11, 12, 13, 14, 15]
    text = [20, 21, 22, 23, 24, 25, 26]
    ids, mask = pad_batch([image, text], "right")
    return ids, mask, pixels(1, 3)


@pytest.fixture(scope="module")
def loaded(official_dir):
    return read_official(official_dir, **LOADER_KWARGS)


@torch.no_grad()
def test_loaded_model_gives_the_same_logits_as_the_directly_built_model(loaded, direct_model):
    ids, mask, images = batch()
    want = direct_model(ids, pixel_values=images, attention_mask=mask).logits
    got = loaded.model(ids, pixel_values=images, attention_mask=mask).logits
    assert torch.equal(got, want)


def test_every_model_weight_is_loaded_from_the_checkpoint(loaded, direct_model):
    got, want = loaded.model.state_dict(), direct_model.state_dict()
    assert sorted(got) == sorted(want)
    assert all(torch.equal(got[k], want[k]) for k in want)


def test_pooling_head_and_post_layernorm_are_reported_as_ignored(loaded):
    assert sorted(loaded.report.ignored) == sorted([
        OFFICIAL_TOWER + "head.attention.in_proj_weight", OFFICIAL_TOWER + "head.probe",
        OFFICIAL_TOWER + "post_layernorm.bias", OFFICIAL_TOWER + "post_layernorm.weight"])
    assert len(loaded.report.files) == 3


def test_config_json_wings_fields_are_ignored_and_official_defaults_applied(loaded):
    config = loaded.model.config
    assert config.mode == "official"
    assert config.vision_feature_layer == -1  # not config.json's mm_vision_select_layer = -2
    assert config.vision_config.num_hidden_layers == 2  # 2 of 3, as 26 of 27
    assert config.text_config.hidden_size == 64 and config.rope_theta == 10000.0


def test_learner_rank_layers_and_router_width_are_inferred_from_shapes(loaded):
    assert loaded.report.inferred == {"learner_rank": RANK, "router_width": ROUTER_WIDTH, "learner_layers": [0, 1]}
    assert loaded.model.config.learner_rank == RANK and loaded.model.config.learner_layers is None


@torch.no_grad()
def test_untruncated_tower_drops_its_last_layer_without_index_file(tmp_path, direct_model):
    directory = write_checkpoint(tmp_path / "full", official_state(direct_model, extra_tower_layer=True),
                                 n_shards=2, index=False)
    loaded = read_official(directory, **LOADER_KWARGS)
    dropped = [k for k in loaded.report.ignored if ".encoder.layers.2." in k]
    assert dropped and all("truncation" in loaded.report.ignored[k] for k in dropped)
    ids, mask, images = batch()
    assert torch.equal(loaded.model(ids, pixel_values=images, attention_mask=mask).logits,
                       direct_model(ids, pixel_values=images, attention_mask=mask).logits)


def test_dtype_defaults_to_the_checkpoint_dtype_and_can_be_overridden(tmp_path, direct_model):
    state = {k: v.to(torch.bfloat16) for k, v in official_state(direct_model).items()}
    directory = write_checkpoint(tmp_path / "bf16", state, n_shards=2)
    assert read_official(directory, **LOADER_KWARGS).model.lm_head.weight.dtype == torch.bfloat16
    model = read_official(directory, dtype=torch.float32, **LOADER_KWARGS).model
    assert model.lm_head.weight.dtype == torch.float32


def test_direct_model_has_nonzero_learner_up_projections(direct_model):
    assert all(float(p.detach().abs().sum()) > 0 for n, p in direct_model.named_parameters() if n.endswith("_proj.1.weight"))
