"""KV-cached generation and save/load."""

from __future__ import annotations

import pytest
import torch

from tests.wings_ref.wings_tiny import image_prompt, pad_batch, pixels, text_prompt
from wings_ref import WingsForConditionalGeneration


@torch.no_grad()
def uncached_greedy(model, ids, mask, images, steps: int) -> torch.Tensor:
    """Re-run the full sequence every step (as the official code does) and take the argmax."""
    for _ in range(steps):
        logits = model(ids, pixel_values=images, attention_mask=mask, use_cache=False).logits[:, -1]
        ids = torch.cat([ids, logits.argmax(-1, keepdim=True)], 1)
        mask = torch.cat([mask, torch.ones_like(mask[:, :1])], 1)
    return ids


@pytest.mark.parametrize("fixture", ["learned_model", "official_model"])
@torch.no_grad()
def test_greedy_generation_equals_uncached_argmax_decoding(request, fixture):
    """clean: KV cache + learner memory; official: the whole sequence each step (its mask makes a cache stale)."""
    model = request.getfixturevalue(fixture)
    prompts = [image_prompt(1, before=4, after=2), text_prompt(2, 9)]
    ids, mask = pad_batch(prompts, "left")
    images = pixels(1, 3)
    got = model.generate(input_ids=ids, attention_mask=mask, pixel_values=images, max_new_tokens=10,
                         do_sample=False, pad_token_id=0, suppress_tokens=None)
    assert torch.equal(got, uncached_greedy(model, ids, mask, images, 10))


@torch.no_grad()
def test_learner_keys_are_projected_once_and_extended_per_step(learned_model):
    ids = torch.tensor([image_prompt(4)])
    prefill = learned_model(ids, pixel_values=pixels(1), use_cache=True)
    memory = prefill.cache.wings_memory
    visual_before = memory.kv[(0, "visual")][0]
    text_before = memory.kv[(0, "textual")][0].shape[2]
    step = learned_model(torch.tensor([[7]]), cache=prefill.cache, use_cache=True)
    assert step.cache.wings_memory.kv[(0, "visual")][0] is visual_before
    assert text_before == 6  # only the valid text keys: 4 - 3 (system prompt) before the image + 5 after
    assert memory.kv[(0, "textual")][0].shape[2] == text_before + 1


@torch.no_grad()
def test_save_and_load_round_trip_gives_identical_logits(learned_model, tmp_path):
    learned_model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").exists()
    loaded = WingsForConditionalGeneration.from_pretrained(tmp_path).eval()
    ids = torch.tensor([image_prompt(5)])
    assert torch.equal(loaded(ids, pixel_values=pixels(1)).logits, learned_model(ids, pixel_values=pixels(1)).logits)
    fields = ("mode", "learner_rank", "learner_layers", "image_token_id", "image_seq_length", "router_width",
              "system_prompt_len", "use_learners", "vision_feature_layer")
    assert {f: getattr(loaded.config, f) for f in fields} == {f: getattr(learned_model.config, f) for f in fields}
    assert loaded.config.text_config.to_diff_dict() | {"dtype": None} == (
        learned_model.config.text_config.to_diff_dict() | {"dtype": None}
    )
