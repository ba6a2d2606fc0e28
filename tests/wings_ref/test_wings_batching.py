"""Text-only, image and mixed batches, left or right padded, give each sample its batch-size-1 output."""

from __future__ import annotations

import pytest
import torch

from tests.wings_ref.wings_tiny import IMAGE_TOKEN, image_prompt, pad_batch, pixels, text_prompt
from wings_ref import WingsForConditionalGeneration

BATCHES = {
    "text_only": [text_prompt(1, 7), text_prompt(2, 11)],
    "image_only": [image_prompt(3, before=4, after=2), image_prompt(4, before=5, after=6)],
    "mixed": [text_prompt(5, 12), image_prompt(6, before=4, after=3), text_prompt(7, 6)],
    # an image at position 0 and one inside the system prompt: official mode's released key rule, under padding
    "unusual_layouts": [image_prompt(8, before=0, after=5), image_prompt(9, before=1, after=7), text_prompt(10, 4)],
}


def single_logits(model, prompt: list[int], image_seed: int) -> torch.Tensor:
    ids = torch.tensor([prompt])
    images = pixels(1, image_seed) if IMAGE_TOKEN in prompt else None
    return model(ids, pixel_values=images).logits[0]


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("batch_name", sorted(BATCHES))
@pytest.mark.parametrize("fixture", ["learned_model", "official_model"])
@torch.no_grad()
def test_padded_batch_equals_batch_size_one_per_sample(request, fixture, batch_name, side):
    model: WingsForConditionalGeneration = request.getfixturevalue(fixture)
    prompts = BATCHES[batch_name]
    image_rows = [row for row, p in enumerate(prompts) if IMAGE_TOKEN in p]
    ids, mask = pad_batch(prompts, side)
    images = torch.cat([pixels(1, row) for row in image_rows]) if image_rows else None
    batch_logits = model(ids, pixel_values=images, attention_mask=mask).logits
    for row, prompt in enumerate(prompts):
        expected = single_logits(model, prompt, row)
        got = batch_logits[row][mask[row].bool()]
        assert torch.allclose(got, expected, atol=1e-4), f"{batch_name} {side} row {row}"


@torch.no_grad()
def test_text_only_rows_of_a_mixed_batch_get_textual_weight_one(learned_model):
    prompts = BATCHES["mixed"]
    ids, mask = pad_batch(prompts, "right")
    out = learned_model(ids, pixel_values=pixels(1, 1), attention_mask=mask, output_head_summed_attentions=True)
    for weights in out.router_weights:
        assert torch.equal(weights[0], torch.tensor([0.0, 1.0]).expand_as(weights[0]))
        image_weights = weights[1][mask[1].bool()]
        assert torch.allclose(image_weights.sum(-1), torch.ones(len(image_weights)))
        assert image_weights[:, 0].std() > 0  # token-wise, not constant


@torch.no_grad()
def test_text_only_batch_runs_no_router(learned_model):
    out = learned_model(torch.tensor([text_prompt(1)]), output_head_summed_attentions=True)
    assert all(w is None for w in out.router_weights)


@torch.no_grad()
def test_official_mode_differs_from_clean_only_with_an_image(learned_model, official_model):
    text = torch.tensor([text_prompt(2)])
    assert torch.allclose(learned_model(text).logits, official_model(text).logits, atol=1e-6)
    ids = torch.tensor([image_prompt(2)])
    diff = learned_model(ids, pixel_values=pixels(1)).logits - official_model(ids, pixel_values=pixels(1)).logits
    assert diff.abs().max() > 1e-3


def test_wrong_number_of_image_tokens_names_expected_and_found(learned_model):
    ids = torch.tensor([image_prompt(1)])  # 16 placeholders = one image
    with pytest.raises(ValueError, match="expected 32 image tokens .* found 16"):
        learned_model(ids, pixel_values=pixels(2))
    with pytest.raises(ValueError, match="expected 0 image tokens .* found 16"):
        learned_model(ids)
