"""The tiny Qwen2 fixture: complete save_pretrained directory, ChatML template, GQA config, seeded weights."""

from __future__ import annotations

import json

from safetensors.numpy import load_file
from transformers import AutoTokenizer

from tests.fixtures.tiny_lm import make_tiny_qwen2


def test_fixture_writes_a_loadable_directory_with_safetensors(tiny_lm):
    names = {p.name for p in tiny_lm.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= names
    config = json.loads((tiny_lm / "config.json").read_text())
    assert config["model_type"] == "qwen2"
    assert (config["hidden_size"], config["num_hidden_layers"]) == (64, 2)
    assert config["num_attention_heads"] > config["num_key_value_heads"]  # GQA
    assert 300 <= config["vocab_size"] <= 500


def test_chatml_template_renders_generation_prompt(tiny_lm):
    tok = AutoTokenizer.from_pretrained(tiny_lm)
    text = tok.apply_chat_template([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "A"},
                                    {"role": "user", "content": "next"}], add_generation_prompt=True, tokenize=False)
    assert text == ("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nA<|im_end|>\n"
                    "<|im_start|>user\nnext<|im_end|>\n<|im_start|>assistant\n")
    assert (tok.eos_token, tok.pad_token) == ("<|im_end|>", "<|endoftext|>")


def test_variant_without_chat_template_has_none(tiny_lm_no_template):
    tok = AutoTokenizer.from_pretrained(tiny_lm_no_template)
    assert not tok.chat_template


def test_same_seed_gives_same_weights_and_other_seed_differs(tmp_path, tiny_lm):
    again = load_file(make_tiny_qwen2(tmp_path / "same", seed=0) / "model.safetensors")
    other = load_file(make_tiny_qwen2(tmp_path / "other", seed=1) / "model.safetensors")
    first = load_file(tiny_lm / "model.safetensors")
    assert all((first[k] == again[k]).all() for k in first)
    assert any((first[k] != other[k]).any() for k in first)
