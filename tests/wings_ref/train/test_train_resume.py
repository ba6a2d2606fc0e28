"""Interrupted + resumed training equals an uninterrupted run; the YAML config and the CLI drive a whole run."""

from __future__ import annotations

import json

import pytest
import torch
import yaml
from safetensors.torch import load_file
from transformers import TrainerCallback

from tests.wings_ref.train.train_tiny import base_config
from wings_ref.train.cli import main
from wings_ref.train.config import config_from_dict, load_config
from wings_ref.train.errors import TrainConfigError
from wings_ref.train.trainer import build_run, train


class StopAfter(TrainerCallback):
    """Simulates an interruption: training stops (after the step's checkpoint) at global step `step`."""

    def __init__(self, step: int):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= self.step:
            control.should_training_stop = True


def test_interrupted_then_resumed_run_matches_an_uninterrupted_one(tmp_path):
    common = dict(stage=2, max_steps=4, per_device_train_batch_size=2, save_steps=2, warmup_ratio=0.25)
    full = train(build_run(config_from_dict(base_config(tmp_path / "a", **common))))
    (tmp_path / "b").mkdir()
    first = build_run(config_from_dict(base_config(tmp_path / "b", **common)), callbacks=[StopAfter(2)])
    first.trainer.train()
    assert first.trainer.state.global_step == 2 and (tmp_path / "b" / "out" / "checkpoint-2").is_dir()
    resumed = train(build_run(config_from_dict(base_config(tmp_path / "b", resume_from_checkpoint="auto", **common))))
    assert resumed["resumed_from"].endswith("checkpoint-2") and resumed["global_step"] == 4
    a = load_file(tmp_path / "a" / "out" / "model.safetensors")
    b = load_file(tmp_path / "b" / "out" / "model.safetensors")
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(b[name], a[name], rtol=0, atol=1e-6, msg=name)
    assert [e["loss"] for e in resumed["losses"]] == pytest.approx([e["loss"] for e in full["losses"]], abs=1e-5)


def test_cli_runs_a_yaml_config_with_overrides(tmp_path, capsys):
    tmp_path.joinpath("a").mkdir()
    cfg = base_config(tmp_path / "a", skip_bad_records=True)
    with open(cfg["data_path"], "a", encoding="utf-8") as handle:
        handle.write('{"id": "bad", "conversations": [{"from": "human", "value": "hi"}]}\n')
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    assert main([str(path), "--override", "max_steps=1", "-o", "train=[projector]"]) == 0
    log = json.loads((tmp_path / "a" / "out" / "train_log.json").read_text())
    assert log["global_step"] == 1 and log["trained_groups"] == ["projector"]
    assert log["data"]["skipped_count"] == 1 and "record bad" in log["data"]["skipped"][0]
    assert log["config_hash"] == load_config(path, ["max_steps=1", "train=[projector]"]).config_hash()
    assert "trained 1 steps" in capsys.readouterr().out


def test_cli_reports_bad_data_in_one_line_and_exit_2(tmp_path, capsys):
    tmp_path.joinpath("a").mkdir()
    cfg = base_config(tmp_path / "a")
    with open(cfg["data_path"], "a", encoding="utf-8") as handle:
        handle.write("{not json\n")
    path = tmp_path / "run.json"
    path.write_text(json.dumps(cfg), encoding="utf-8")
    assert main([str(path)]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(err) == 1 and "data.jsonl:9" in err[0] and "malformed JSON" in err[0]


def test_unknown_config_key_is_refused(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("model_path: m\ndata_path: d\noutput_dir: o\nlearning_rate: 1e-3\n", encoding="utf-8")
    with pytest.raises(TrainConfigError, match=r"unknown key\(s\) \['learning_rate'\]"):
        load_config(path)
    with pytest.raises(TrainConfigError, match="stage=3"):
        load_config(path.with_name("ok.yaml") if path.with_name("ok.yaml").write_text(
            "model_path: m\ndata_path: d\noutput_dir: o\n") else path, ["stage=3"])


def test_example_configs_load_and_deepspeed_is_import_guarded(tmp_path):
    from pathlib import Path

    from wings_ref.train.trainer import training_arguments

    configs = Path(__file__).resolve().parents[3] / "wings_ref" / "train" / "configs"
    stages = {p.stem: load_config(p).stage for p in sorted(configs.glob("*.yaml")) if p.stem != "fsdp"}
    assert stages == {"naive_full": "naive", "naive_warmup": "naive", "stage1": 1, "stage2": 2}
    json.loads((configs / "deepspeed_zero2.json").read_text())
    cfg = config_from_dict(base_config(tmp_path, deepspeed=str(configs / "deepspeed_zero2.json")))
    try:
        import deepspeed  # noqa: F401
    except ImportError:
        with pytest.raises(TrainConfigError, match="deepspeed package is not installed"):
            training_arguments(cfg, cfg.learning_rates())
