"""`iitbench forgetting --model hf:VLM --base hf-causal:LLM` on a tiny LLaVA and its own language model.

The base is cut out of the VLM (same text weights, tokenizer and chat template), so the pairing must be exact:
identical rendered prompts, identical per-item predictions, delta 0 with agreement 1. A base with perturbed weights
must then differ, which shows the comparison reads both models rather than one twice.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.tiny_vlms import make_tiny_llava
from tests.runner.dataset_factory import make_dataset


def _base_from_llava(vlm_dir: Path, out: Path, noise: float = 0.0) -> Path:
    """Save the VLM's text model (decoder + lm_head) as a Qwen2ForCausalLM with the VLM's tokenizer."""
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor, Qwen2ForCausalLM

    vlm = AutoModelForImageTextToText.from_pretrained(vlm_dir)
    base = Qwen2ForCausalLM(vlm.config.text_config).eval()
    base.model.load_state_dict(vlm.model.language_model.state_dict())
    base.lm_head.load_state_dict(vlm.lm_head.state_dict())
    if noise:
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(1)
            for p in base.model.layers.parameters():
                p.add_(noise * torch.randn_like(p))
    base.save_pretrained(out, safe_serialization=True)
    AutoProcessor.from_pretrained(vlm_dir).tokenizer.save_pretrained(out)
    return out


def _same_tokenizer(vlm_dir: Path, base_dir: Path) -> None:
    """transformers 5 loads a `qwen2` directory's tokenizer as Qwen2Tokenizer (its own digit-splitting
    pre-tokenizer) but LLaVA's as the file's generic backend; hub pairs share one class. Give the VLM the base's."""
    from transformers import AutoProcessor, AutoTokenizer

    AutoTokenizer.from_pretrained(base_dir).save_pretrained(vlm_dir)
    text = "Question 7: which option?\nA. option 7-0xx"
    assert AutoProcessor.from_pretrained(vlm_dir).tokenizer(text)["input_ids"] == \
        AutoTokenizer.from_pretrained(base_dir)(text)["input_ids"]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    root = tmp_path_factory.mktemp("fg_hf")
    vlm = make_tiny_llava(root / "llava")
    base, noisy = _base_from_llava(vlm, root / "base"), _base_from_llava(vlm, root / "noisy", noise=0.5)
    _same_tokenizer(vlm, base)
    return root, vlm, base, noisy


def _forgetting(root: Path, vlm: Path, base: Path, name: str) -> dict:
    from iitbench.cli.main import main

    data = make_dataset(root / "text", per_config=5, configs=("T", "TT", "TV"))
    out = root / name
    assert main(["forgetting", "--model", f"hf:{vlm}", "--base", f"hf-causal:{base}", "--suite", str(data),
                 "--output", str(out), "--n-boot", "200", "--no-progress"]) == 0
    return json.loads((out / "forgetting.json").read_text())


def test_vlm_and_its_own_text_model_pair_exactly(pair):
    root, vlm, base, _ = pair
    summary = _forgetting(root, vlm, base, "same")
    assert summary["template"]["rendered_probe_match"] is True
    overall = summary["comparison"]["overall"]
    # 5 T + 5 TT scored; the TV items' image turn is n/a for the base and is left out of the pairing
    assert overall["n"] == 10
    assert overall["delta"] == 0.0 and overall["agreement"] == 1.0
    mllm = [json.loads(line) for line in (root / "same" / "mllm" / "samples.jsonl").read_text().splitlines()]
    basel = [json.loads(line) for line in (root / "same" / "base" / "samples.jsonl").read_text().splitlines()]
    lm = {(r["id"], r["turn"]): r["loglik"] for r in mllm if r["status"] == "ok"}
    lb = {(r["id"], r["turn"]): r["loglik"] for r in basel if r["status"] == "ok"}
    shared = set(lm) & set(lb)
    assert len(shared) >= 10
    # the same weights through two adapters: the same continuation log-likelihoods
    assert max(abs(x - y) for k in shared for x, y in zip(lm[k], lb[k])) < 1e-4


def test_perturbed_base_is_a_different_model(pair):
    root, vlm, _, noisy = pair
    summary = _forgetting(root, vlm, noisy, "noisy")
    assert summary["models"]["mllm"]["fingerprint"] != summary["models"]["base"]["fingerprint"]
    assert summary["comparison"]["overall"]["agreement"] < 1.0
