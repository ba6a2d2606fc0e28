"""Zero-initialised learners leave the backbone's computation untouched."""

from __future__ import annotations

import torch
from transformers import Qwen2ForCausalLM

from tests.wings_ref.wings_tiny import image_prompt, pixels, text_prompt, tiny_config
from wings_ref import WingsForConditionalGeneration


def backbone_of(model: WingsForConditionalGeneration, attn_implementation: str = "sdpa") -> Qwen2ForCausalLM:
    """A plain HF Qwen2ForCausalLM carrying the WINGS model's LLM weights."""
    text_config = model.config.text_config.__class__.from_dict(model.config.text_config.to_dict())
    text_config._attn_implementation = attn_implementation
    backbone = Qwen2ForCausalLM(text_config).eval()
    keep = ("model.embed_tokens", "model.norm", "lm_head", ".self_attn.", ".mlp.", "layernorm")
    weights = {
        k: v for k, v in model.state_dict().items()
        if "vision_tower" not in k and (k.startswith(keep) or any(s in k for s in keep[3:]))
    }
    backbone.load_state_dict(weights, strict=True)
    return backbone


@torch.no_grad()
def test_zero_init_text_only_logits_equal_plain_qwen2(zero_init_model):
    ids = torch.tensor([text_prompt(1, 12), text_prompt(2, 12)])
    expected = backbone_of(zero_init_model)(ids).logits
    got = zero_init_model(ids).logits
    assert torch.allclose(got, expected, atol=1e-5, rtol=0)


@torch.no_grad()
def test_zero_init_image_logits_equal_baseline_without_learners(zero_init_model):
    baseline = WingsForConditionalGeneration(tiny_config(use_learners=False)).eval()
    missing, unexpected = baseline.load_state_dict(zero_init_model.state_dict(), strict=False)
    assert not missing and all(("pool" in k or "reweight" in k) for k in unexpected)
    ids = torch.tensor([image_prompt(3), image_prompt(4)])
    images = pixels(2)
    got = zero_init_model(ids, pixel_values=images).logits
    assert torch.allclose(got, baseline(ids, pixel_values=images).logits, atol=1e-5, rtol=0)


@torch.no_grad()
def test_learners_change_the_logits_once_trained(learned_model, zero_init_model):
    ids = torch.tensor([image_prompt(3)])
    diff = learned_model(ids, pixel_values=pixels(1)).logits - zero_init_model(ids, pixel_values=pixels(1)).logits
    assert diff.abs().max() > 1e-3


@torch.no_grad()
def test_head_summed_attention_equals_eager_attention_summed_over_heads(learned_model):
    """The router's input, computed beside sdpa, matches HF eager attention probabilities (with GQA)."""
    ids = torch.tensor([text_prompt(5, 10)])
    eager = backbone_of(learned_model, "eager")(ids, output_attentions=True).attentions
    baseline = WingsForConditionalGeneration(tiny_config(use_learners=False)).eval()
    baseline.load_state_dict(learned_model.state_dict(), strict=False)
    ours = baseline(ids, output_head_summed_attentions=True).head_summed_attentions
    for layer_eager, layer_ours in zip(eager, ours, strict=True):
        assert torch.allclose(layer_ours, layer_eager.sum(1), atol=1e-5)


@torch.no_grad()
def test_llama_backbone_zero_init_text_only_logits_equal_plain_llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    llama = LlamaConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                        intermediate_size=128, vocab_size=128, pad_token_id=0)
    model = WingsForConditionalGeneration(tiny_config(text_config=llama.to_dict())).eval()
    plain = LlamaForCausalLM(llama).eval()
    weights = {k: v for k, v in model.state_dict().items() if k in plain.state_dict()}
    plain.load_state_dict(weights, strict=True)
    ids = torch.tensor([text_prompt(8, 10)])
    assert torch.allclose(model(ids).logits, plain(ids).logits, atol=1e-5, rtol=0)
