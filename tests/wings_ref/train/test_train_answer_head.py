"""Trainer options added for pretrained bases: the LM head on answer positions only (same loss and weights as the full
head), bf16 autocast on CPU (active, and run-to-run deterministic), a configurable system turn, and config hashes of
earlier configs left unchanged."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from tests.wings_ref.train.train_tiny import base_config, byte_tokenizer
from wings_ref.train.answer_head import AnswerHead, answer_positions
from wings_ref.train.config import TrainConfig, config_from_dict
from wings_ref.train.errors import TrainConfigError
from wings_ref.train.trainer import build_run, train


def _run(tmp, name, **overrides):
    log = train(build_run(config_from_dict(base_config(tmp / name, stage=2, max_steps=2, **overrides))))
    return [e["loss"] for e in log["losses"]], load_file(str(tmp / name / "out" / "model.safetensors"))


def test_answer_only_head_gives_the_full_heads_losses_and_weights(tmp_path):
    full_loss, full = _run(tmp_path, "full")
    head_loss, head = _run(tmp_path, "head", answer_logits_only=True)
    assert head_loss == pytest.approx(full_loss, abs=1e-5)
    for key in full:
        torch.testing.assert_close(head[key], full[key], rtol=0, atol=1e-6, msg=key)


def test_bf16_autocast_runs_on_cpu_and_repeats_bit_for_bit(tmp_path):
    fp32_loss, _ = _run(tmp_path, "fp32")
    a_loss, a = _run(tmp_path, "a", bf16=True)
    b_loss, b = _run(tmp_path, "b", bf16=True)
    assert a_loss == b_loss and all(torch.equal(a[k], b[k]) for k in a)
    assert a_loss != fp32_loss and a_loss == pytest.approx(fp32_loss, abs=5e-3)  # autocast on, within bf16's rounding
    assert all(t.dtype == torch.float32 for t in a.values())  # weights stay fp32


def test_the_hook_selects_answer_positions_only_inside_a_training_step():
    head = torch.nn.Linear(4, 7, bias=False)
    hook = AnswerHead(head)
    labels = torch.tensor([[-100, -100, 5, 6, -100], [-100, 3, -100, -100, -100]])
    assert answer_positions(labels).tolist() == [0, 1, 2]  # next token is an answer in some row
    hidden = torch.randn(2, 5, 4)
    with hook.selecting(labels) as keep:
        assert head(hidden).shape == (2, 3, 7) and keep.tolist() == [0, 1, 2]
    assert head(hidden).shape == (2, 5, 7)  # evaluation and callbacks see every position
    hook.remove()


def test_the_system_turn_is_configurable_and_empty_is_refused(tmp_path):
    run = build_run(config_from_dict(base_config(tmp_path / "s", system_prompt="Be brief.")))
    ids = run.trainer.train_dataset.samples[0].input_ids
    expected = byte_tokenizer()("<|im_start|>system\nBe brief.<|im_end|>\n", add_special_tokens=False)["input_ids"]
    assert list(ids[:len(expected)]) == expected
    with pytest.raises(TrainConfigError, match="system_prompt is empty"):
        config_from_dict(base_config(tmp_path / "e", system_prompt="  "))


def test_earlier_configs_keep_their_hash():
    cfg = TrainConfig(model_path="m", data_path="d", output_dir="o")
    assert "answer_logits_only" not in cfg.to_dict() and "system_prompt" not in cfg.to_dict()
    changed = {TrainConfig(model_path="m", data_path="d", output_dir="o", answer_logits_only=True).config_hash(),
               TrainConfig(model_path="m", data_path="d", output_dir="o", system_prompt="x").config_hash()}
    assert cfg.config_hash() not in changed and len(changed) == 2
