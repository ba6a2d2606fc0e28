"""Bad input to `iitbench merge`: exit 2, one line naming the culprit, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from iitbench.cli.main import main as iitbench
from iitbench.zoo import WEIGHTS_DIR
from tests.cli.bad_inputs import catalogue, check_refused

CASES, case = catalogue()


def _tiny_base(out: Path, model_type: str, vocab_size: int) -> Path:
    """A random causal LM with base-tiny's tokenizer: `llama` (another architecture) or `qwen2` with another vocab."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    torch.manual_seed(0)
    config = AutoConfig.for_model(model_type, vocab_size=vocab_size, hidden_size=128, intermediate_size=512,
                                  num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2,
                                  tie_word_embeddings=True)
    AutoModelForCausalLM.from_config(config).save_pretrained(out)
    return out


def _merge(tmp: Path, base: str, alpha: str = "0.5", model: str = "llava-tiny", out: Path | None = None) -> tuple:
    out = out or tmp / "merged"
    return lambda: iitbench(["merge", "--model", model, "--base", base, "--alpha", alpha, "--out", str(out)]), [out]


@case
def case_alpha_above_one(tmp):
    return (*_merge(tmp, "base-tiny", "1.5"), "--alpha 1.5")


@case
def case_alpha_negative(tmp):
    return (*_merge(tmp, "base-tiny", "-0.1"), "outside [0, 1]")


@case
def case_alpha_not_a_number(tmp):
    return (*_merge(tmp, "base-tiny", "half"), "--alpha 'half'")


@case
def case_base_of_another_architecture(tmp):
    base = _tiny_base(tmp / "llama", "llama", 948)
    return (*_merge(tmp, str(base)), str(base), str(WEIGHTS_DIR / "llava-tiny"), "different architectures")


@case
def case_base_with_another_vocabulary(tmp):
    base = _tiny_base(tmp / "qwen", "qwen2", 1000)
    return (*_merge(tmp, str(base)), str(base), "vocabulary 948", "different vocabularies")


@case
def case_model_is_not_a_wings_checkpoint(tmp):
    return (*_merge(tmp, "base-tiny", model=str(WEIGHTS_DIR / "base-tiny")), "not a wings_ref checkpoint")


@case
def case_base_without_config(tmp):
    (tmp / "empty").mkdir()
    return (*_merge(tmp, str(tmp / "empty")), "no config.json")


@case
def case_out_holds_something_else(tmp):
    out = tmp / "taken"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    return _merge(tmp, "base-tiny", out=out)[0], [out / "model.safetensors"], "not empty"


@case
def case_out_is_a_run_directory(tmp):
    out = tmp / "run"
    out.mkdir()
    (out / "run.json").write_text("{}")
    return _merge(tmp, "base-tiny", out=out)[0], [out / "model.safetensors"], "iitbench run"


@case
def case_out_cannot_be_created(tmp):
    if not Path("/proc/self").is_dir():
        pytest.skip("no /proc on this system")
    out = Path("/proc") / f"iitbench-test-{tmp.name}-merge"  # mkdir fails there, for root too
    invoke = lambda: iitbench(["merge", "--model", "llava-tiny", "--base", "base-tiny", "--alpha", "0.5",  # noqa: E731
                               "--out", str(out)])
    return invoke, [out], str(out)


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused_in_one_line(name, tmp_path, capsys, monkeypatch):
    check_refused(CASES[name], tmp_path, capsys, monkeypatch)
