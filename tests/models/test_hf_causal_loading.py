"""hf-causal loading: templates, one-line errors, describe() and the weights fingerprint."""

from __future__ import annotations

import hashlib
import shutil

import pytest
from safetensors.torch import load_file, save_file

from iitbench.data.types import TextPart
from iitbench.errors import ModelError
from iitbench.models import ChoiceRequest, Message, load_model
from iitbench.models.hf_causal import PLAIN_TEMPLATE
from tests.models.chat_messages import assistant, user


def test_missing_chat_template_tells_to_pass_plain_template(tiny_lm_no_template):
    with pytest.raises(ModelError, match="plain_template=true") as err:
        load_model(f"hf-causal:{tiny_lm_no_template}")
    assert "\n" not in str(err.value)


def test_plain_template_renders_role_lines_and_is_hashed(tiny_lm_no_template):
    model = load_model(f"hf-causal:{tiny_lm_no_template}", {"plain_template": True})
    messages = (Message(role="system", parts=(TextPart("Be brief."),)), user("Which is red?"), assistant("A"),
                user("And blue?"))
    assert model.render(messages) == "System: Be brief.\nUser: Which is red?\nAssistant: A\nUser: And blue?\nAssistant: "
    info = model.describe()
    assert info["template"] == "plain"
    assert info["chat_template_hash"] == hashlib.sha256(PLAIN_TEMPLATE.encode()).hexdigest()
    # The trailing space of "Assistant: " goes with the answer, so " A" is scored as BPE sees it.
    result = model.score_choices([ChoiceRequest(key="p", messages=messages, choices=("A", "blue"))])[0]
    assert all(n >= 1 for n in result.n_tokens) and all(x < 0 for x in result.logliks)


def test_chat_and_plain_templates_have_different_hashes(tiny_lm):
    chat = load_model(f"hf-causal:{tiny_lm}").describe()["chat_template_hash"]
    plain = load_model(f"hf-causal:{tiny_lm}", {"plain_template": True}).describe()["chat_template_hash"]
    assert chat != plain


def test_missing_directory_is_a_one_line_model_error(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(ModelError, match="does not exist") as err:
        load_model(f"hf-causal:{missing}")
    assert str(missing) in str(err.value) and "\n" not in str(err.value)


def test_directory_without_config_is_rejected(tmp_path):
    with pytest.raises(ModelError, match="config.json"):
        load_model(f"hf-causal:{tmp_path}")


def test_offline_hub_id_says_hub_unreachable_and_to_pass_a_local_dir(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match="unreachable.*local directory") as err:
        load_model("hf-causal:iitbench-test/not-a-real-model")
    assert "iitbench-test/not-a-real-model" in str(err.value)


@pytest.mark.parametrize("args, flag", [({"dtype": "float64"}, "dtype"), ({"device": "tpu"}, "device"),
                                        ({"truncation": "right"}, "truncation"), ({"max_length": 1}, "max_length"),
                                        ({"trust_remote_code": "yes"}, "trust_remote_code")])
def test_bad_model_args_name_the_flag(tiny_lm, args, flag):
    with pytest.raises(ModelError, match=flag):
        load_model(f"hf-causal:{tiny_lm}", args)


def test_unknown_model_arg_is_a_model_error(tiny_lm):
    with pytest.raises(ModelError, match="bad --model-args"):
        load_model(f"hf-causal:{tiny_lm}", {"colour": "red"})


def test_describe_reports_identity_and_settings(adapter):
    info = adapter.describe()
    assert len(info["fingerprint"]) == 64
    assert info["parameters"] == sum(p.numel() for p in adapter.model.parameters()) > 0
    assert (info["dtype"], info["device"], info["template"]) == ("float32", "cpu", "chat")
    assert info["max_context"] == 256 == adapter.capabilities.max_context
    assert adapter.capabilities.generate is True


def test_device_auto_picks_cpu_without_cuda(tiny_lm):
    import torch

    model = load_model(f"hf-causal:{tiny_lm}", {"device": "auto"})
    assert model.describe()["device"] == ("cuda" if torch.cuda.is_available() else "cpu")


def test_fingerprint_is_stable_across_copies_and_changes_with_weights(tiny_lm, tmp_path):
    copy = shutil.copytree(tiny_lm, tmp_path / "copy")
    original = load_model(f"hf-causal:{tiny_lm}").fingerprint()
    assert load_model(f"hf-causal:{copy}").fingerprint() == original
    weights = load_file(copy / "model.safetensors")
    name = sorted(weights)[0]
    weights[name] = weights[name] + 1e-3
    save_file(weights, copy / "model.safetensors", metadata={"format": "pt"})
    assert load_model(f"hf-causal:{copy}").fingerprint() != original


def test_bfloat16_dtype_is_applied(tiny_lm):
    model = load_model(f"hf-causal:{tiny_lm}", {"dtype": "bfloat16"})
    assert model.describe()["dtype"] == "bfloat16"
    result = model.score_choices([ChoiceRequest(key="b", messages=(user("hi"),), choices=("A", "B"))])[0]
    assert all(x < 0 for x in result.logliks)
