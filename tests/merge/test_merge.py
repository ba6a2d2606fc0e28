"""`iitbench merge` on the shipped zoo: alpha 1 is llava-tiny, alpha 0 is base-tiny on text, alpha 0.5 the mean of the
LLM tensors with the projector untouched; the output loads as `wings:` and records both fingerprints and alpha."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from iitbench.cli.main import main as iitbench
from iitbench.merge import PROVENANCE_FILE, is_llm_key, merge_models
from iitbench.models.hf_common import fingerprint_files
from iitbench.zoo import WEIGHTS_DIR

LLAVA, BASE, WINGS = WEIGHTS_DIR / "llava-tiny", WEIGHTS_DIR / "base-tiny", WEIGHTS_DIR / "wings-tiny"


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    root = tmp_path_factory.mktemp("merged")
    return {alpha: merge_models("llava-tiny", "base-tiny", alpha, root / f"a{alpha}").out for alpha in (0, 0.5, 1)}


def _wings(path):
    from wings_ref import WingsForConditionalGeneration

    return WingsForConditionalGeneration.from_pretrained(path).eval()


def _ids(text: str) -> torch.Tensor:
    """A one-turn ChatML prompt as the zoo tokenizer encodes it (the system turn WINGS and base-tiny share)."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(LLAVA))
    prompt = (f"<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n{text}<|im_end|>\n"
              "<|im_start|>assistant\n")
    return torch.tensor([tok(prompt, add_special_tokens=False)["input_ids"]])


def test_alpha_1_is_llava_tiny_bit_for_bit_and_its_logits_with_an_image(merged):
    a, b = load_file(str(merged[1] / "model.safetensors")), load_file(str(LLAVA / "model.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    model, ref = _wings(merged[1]), _wings(LLAVA)
    n_img = model.config.image_seq_length
    ids = torch.cat([_ids("How many circles?")[:, :5], torch.full((1, n_img), model.config.image_token_id),
                     _ids("How many circles?")[:, 5:]], dim=1)
    pixels = torch.rand(1, 3, 96, 96) * 2 - 1
    with torch.no_grad():
        assert torch.equal(model(ids, pixel_values=pixels).logits, ref(ids, pixel_values=pixels).logits)


def test_alpha_0_gives_base_tinys_text_logits(merged):
    from transformers import AutoModelForCausalLM

    model, base = _wings(merged[0]), AutoModelForCausalLM.from_pretrained(BASE).eval()
    ids = _ids("What is 12 + 7?\nA. 19\nB. 18")
    with torch.no_grad():
        torch.testing.assert_close(model(ids).logits, base(ids).logits, rtol=0, atol=1e-5)
    # and it is not llava-tiny: the LLM really moved
    with torch.no_grad():
        assert (model(ids).logits - _wings(LLAVA)(ids).logits).abs().max() > 1e-2


def test_alpha_half_averages_the_llm_and_keeps_the_projector_and_tower(merged):
    mid, a, b = (load_file(str(p / "model.safetensors")) for p in (merged[0.5], LLAVA, BASE))
    llm = [k for k in a if is_llm_key(k)]
    assert len(llm) == len(b) and "model.mm_projector.0.weight" not in llm
    for key in llm:
        torch.testing.assert_close(mid[key], (a[key] + b[key]) / 2, rtol=0, atol=1e-7)
    for key in (k for k in a if not is_llm_key(k)):
        assert torch.equal(mid[key], a[key]), key


def test_provenance_names_both_fingerprints_and_alpha(merged):
    prov = json.loads((merged[0.5] / PROVENANCE_FILE).read_text())
    assert prov["alpha"] == 0.5
    assert prov["mllm"]["fingerprint"] == fingerprint_files(LLAVA)
    assert prov["base"]["fingerprint"] == fingerprint_files(BASE)
    assert prov["tensors"] == {"interpolated": 50, "kept": 57}
    assert not (merged[0.5] / "zoo_card.json").exists()  # llava-tiny's card does not describe the merge


def test_wings_learners_are_kept_at_alpha_0(tmp_path):
    out = merge_models(f"wings:{WINGS}", f"hf-causal:{BASE}", 0.0, tmp_path / "w0").out
    merged, wings = load_file(str(out / "model.safetensors")), load_file(str(WINGS / "model.safetensors"))
    learners = [k for k in wings if "attn_pool" in k or "attn_t_pool" in k or "reweight_module" in k]
    assert learners and all(torch.equal(merged[k], wings[k]) for k in learners)


def test_the_cli_merges_idempotently_and_the_output_runs_as_wings(tmp_path, capsys):
    out = tmp_path / "m"
    args = ["merge", "--model", "llava-tiny", "--base", "base-tiny", "--alpha", "0.25", "--out", str(out)]
    assert iitbench(args) == 0 and "50 LLM tensors interpolated" in capsys.readouterr().out
    stamp = (out / "model.safetensors").stat().st_mtime_ns
    assert iitbench(args) == 0 and "up to date" in capsys.readouterr().out
    assert (out / "model.safetensors").stat().st_mtime_ns == stamp
    assert iitbench(["run", "--model", f"wings:{out}", "--suite", "text", "--limit", "2", "--output",
                     str(tmp_path / "run"), "--no-progress"]) == 0
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["settings"]["prompt_format"]["candidates"] == "text"  # the MLLM's answer format travelled
