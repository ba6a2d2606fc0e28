"""Per-stage training on a micro WINGS model: exactly the stage's parameters move; split LRs reach the optimizer."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from tests.wings_ref.train.train_tiny import base_config, model_dir
from wings_ref.train.config import config_from_dict
from wings_ref.train.errors import TrainConfigError
from wings_ref.train.stages import param_group
from wings_ref.train.trainer import build_run, train

EXPECTED = {
    1: {"projector", "visual_learner"},
    2: {"llm", "projector", "visual_learner", "textual_learner", "router"},
    "naive": {"projector", "llm"},
}


def changed_groups(before: dict, after: dict) -> tuple[set[str], set[str], set[str]]:
    """(groups with a changed tensor, groups with an unchanged tensor, groups seen)."""
    changed, unchanged = set(), set()
    for name, tensor in after.items():
        (unchanged if torch.equal(before[name], tensor) else changed).add(param_group(name))
    return changed, unchanged, {param_group(n) for n in after}


@pytest.mark.parametrize("stage", [1, 2, "naive"])
def test_two_steps_change_only_the_stage_parameters(tmp_path, stage):
    naive = stage == "naive"
    before = load_file(model_dir(not naive) / "model.safetensors")
    log = train(build_run(config_from_dict(base_config(tmp_path, stage=stage, use_learners=not naive))))
    after = load_file(tmp_path / "out" / "model.safetensors")
    changed, unchanged, seen = changed_groups(before, after)
    assert log["global_step"] == 2 and set(log["trainable_parameters"]) == EXPECTED[stage]
    assert changed == EXPECTED[stage]
    assert unchanged == seen - EXPECTED[stage]  # every trained tensor moved, every frozen one did not
    assert "vision" in seen and "vision" not in changed
    if naive:
        assert not any("pool" in n or "reweight" in n for n in after)
    written = json.loads((tmp_path / "out" / "train_log.json").read_text())
    assert [e["step"] for e in written["losses"]] == [1, 2] and len(written["config_hash"]) == 64


def test_split_learning_rates_reach_the_optimizer_groups(tmp_path):
    cfg = config_from_dict(base_config(tmp_path, stage=2, lr_projector=1e-3, lr_learners=2e-4, lr_llm=3e-5,
                                       lr_router=4e-4, weight_decay=0.1, warmup_ratio=0.5, max_steps=4))
    run = build_run(cfg)
    run.trainer.args.max_steps = 1  # one optimizer step, then inspect
    run.trainer.train()
    groups = {g["name"]: g for g in run.trainer.optimizer.param_groups}
    expected = {"projector": 1e-3, "visual_learner": 2e-4, "textual_learner": 2e-4, "router": 4e-4, "llm": 3e-5}
    for name, group in groups.items():
        base = expected[name.split("/")[0]]
        assert group["initial_lr"] == pytest.approx(base)
        assert group["weight_decay"] == (0.0 if name.endswith("/no_decay") else 0.1)
    assert {"llm/no_decay", "projector/no_decay", "router/no_decay"} <= set(groups)
    for group in run.trainer.optimizer.param_groups:  # norms and biases (1-D) never decay; matrices always do
        assert all((p.ndim == 1) == group["name"].endswith("/no_decay") for p in group["params"])
    # warmup over 1 of the 1 scheduled steps: after step 1 every group sits at the same fraction of its own LR
    ratios = {g["lr"] / g["initial_lr"] for g in run.trainer.optimizer.param_groups}
    assert len({round(r, 9) for r in ratios}) == 1


def test_stage_defaults_follow_the_released_scripts(tmp_path):
    cfg = config_from_dict(dict(model_path="m", data_path="d", output_dir="o", stage=2))
    assert cfg.learning_rates() == {"projector": 1e-5, "visual_learner": 2e-6, "textual_learner": 2e-6,
                                    "router": 2e-6, "llm": 2e-6}
    warmup = config_from_dict(dict(model_path="m", data_path="d", output_dir="o", stage="naive", train=["projector"]))
    assert warmup.trained_groups() == ("projector",)
    with pytest.raises(TrainConfigError, match="no learners"):
        config_from_dict(dict(model_path="m", data_path="d", output_dir="o", stage="naive", train=["learners"]))


def test_learner_stage_refuses_a_baseline_model(tmp_path):
    with pytest.raises(TrainConfigError, match="use_learners=False"):
        build_run(config_from_dict(base_config(tmp_path, stage=1, use_learners=False)))


def test_init_new_tokens_sets_rows_to_the_mean_embedding(tmp_path):
    run = build_run(config_from_dict(base_config(tmp_path, stage=2, init_new_tokens=[200, "<|im_start|>"])))
    model = run.trainer.model
    assert run.init_token_ids == [200, 257]
    for weight in (model.get_input_embeddings().weight, model.get_output_embeddings().weight):
        keep = torch.ones(weight.shape[0], dtype=torch.bool)
        keep[[200, 257]] = False
        assert torch.allclose(weight[200], weight[keep].mean(0), atol=1e-6)
        assert torch.equal(weight[200], weight[257])
