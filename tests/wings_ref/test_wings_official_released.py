"""mode="official" against the released code's semantics (released_reference.py), one sample at a time.

Forward: image and text-only samples, and the layouts the released chat template never produces (an image at position
0, an image that ends inside the system prompt, an image with no text after it). Decoding: the released `generate`
re-runs the whole sequence at every step (its forward returns no cache), so each step's logits must equal the naive
forward of the sequence so far, for greedy decoding and for sampling with a fixed seed. What the released code cannot
do (two images in one sample) and what would silently differ (extending a KV cache of an image sequence) are refused.
"""

from __future__ import annotations

import pytest
import torch

from tests.wings_ref.official_layout import LOADER_KWARGS, direct_model, official_dir, official_state  # noqa: F401
from tests.wings_ref.released_reference import IMAGE_IDS, TEXT_IDS, naive_official_logits
from tests.wings_ref.wings_tiny import pixels
from wings_ref.official import load_official

IMAGE = 5  # the image placeholder id of the official-layout fixture
STEPS = 10  # new tokens per decoding test
LAYOUTS = {  # name: (ids, system_prompt_len)
    "image first": ([IMAGE] * 16 + [11, 12, 13, 14, 15, 16, 17, 18], 3),
    "image ends inside the system prompt": ([7, 8] + [IMAGE] * 16 + [11, 12, 13, 14, 15, 16, 17, 18], 20),
    "image starts inside the system prompt": ([7] + [IMAGE] * 16 + [11, 12, 13, 14, 15, 16], 3),
    "image last": ([7, 8, 9, 10, 11] + [IMAGE] * 16, 3),
}


@pytest.fixture(scope="module")
def loaded(official_dir):
    return load_official(official_dir, **LOADER_KWARGS)


@pytest.fixture(scope="module")
def weights(direct_model):
    return official_state(direct_model)


# ----------------------------------------------------------------------------------------------------- forward
@torch.no_grad()
def test_official_mode_matches_the_released_forward_on_an_image_sample(loaded, weights):
    image = pixels(1, 5)
    got = loaded(torch.tensor([IMAGE_IDS]), pixel_values=image).logits[0].double()
    assert torch.allclose(got, naive_official_logits(weights, IMAGE_IDS, image[0]), atol=1e-4, rtol=0)


@torch.no_grad()
def test_official_mode_matches_the_released_forward_on_a_text_only_sample(loaded, weights):
    got = loaded(torch.tensor([TEXT_IDS])).logits[0].double()
    assert torch.allclose(got, naive_official_logits(weights, TEXT_IDS), atol=1e-4, rtol=0)


@torch.no_grad()
def test_clean_mode_differs_from_the_released_forward_on_an_image_sample(official_dir, weights):
    clean = load_official(official_dir, mode="clean", **LOADER_KWARGS)
    image = pixels(1, 5)
    got = clean(torch.tensor([IMAGE_IDS]), pixel_values=image).logits[0].double()
    assert (got - naive_official_logits(weights, IMAGE_IDS, image[0])).abs().max() > 1e-2


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@torch.no_grad()
def test_unusual_image_layouts_match_the_released_forward(official_dir, weights, layout):
    ids, system_len = LAYOUTS[layout]
    model = load_official(official_dir, **{**LOADER_KWARGS, "system_prompt_len": system_len})
    image = pixels(1, 9)
    got = model(torch.tensor([ids]), pixel_values=image).logits[0].double()
    expected = naive_official_logits(weights, ids, image[0], system_len=system_len)
    assert (got - expected).abs().max() <= 1e-4, layout


@torch.no_grad()
def test_image_first_layout_differs_from_clean_semantics(official_dir, weights):
    """Guards the layout test: the released rule (every position is a text key) is not what clean mode computes."""
    ids, system_len = LAYOUTS["image first"]
    clean = load_official(official_dir, mode="clean", **LOADER_KWARGS)
    image = pixels(1, 9)
    got = clean(torch.tensor([ids]), pixel_values=image).logits[0].double()
    assert (got - naive_official_logits(weights, ids, image[0], system_len=system_len)).abs().max() > 1e-2


def test_two_images_in_one_sample_are_refused_in_official_mode(loaded):
    ids = torch.tensor([[7] + [IMAGE] * 16 + [8] + [IMAGE] * 16 + [9]])
    with pytest.raises(ValueError, match="one image per sample.*mode='clean'"):
        loaded(ids, pixel_values=pixels(2, 1))


@torch.no_grad()
def test_extending_a_cached_image_sequence_is_refused_but_text_only_is_exact(loaded):
    prefill = loaded(torch.tensor([IMAGE_IDS]), pixel_values=pixels(1, 5), use_cache=True)
    with pytest.raises(ValueError, match="official mode cannot extend a cached sequence that has an image"):
        loaded(torch.tensor([[30]]), cache=prefill.cache, use_cache=True)
    prefill = loaded(torch.tensor([TEXT_IDS]), use_cache=True)
    step = loaded(torch.tensor([[30]]), cache=prefill.cache, use_cache=True).logits[0, -1]
    whole = loaded(torch.tensor([TEXT_IDS + [30]])).logits[0, -1]
    assert torch.allclose(step, whole, atol=1e-5)


# ---------------------------------------------------------------------------------------------------- decoding
@torch.no_grad()
def test_official_greedy_generation_with_an_image_equals_the_released_step_by_step_decoding(loaded, weights):
    image = pixels(1, 5)
    out = loaded.generate(input_ids=torch.tensor([IMAGE_IDS]), pixel_values=image, max_new_tokens=STEPS,
                          do_sample=False, output_logits=True, return_dict_in_generate=True, pad_token_id=0,
                          eos_token_id=None)
    sequence = list(IMAGE_IDS)
    for step in range(STEPS):
        expected = naive_official_logits(weights, sequence, image[0])[-1]
        got = out.logits[step][0].double()
        assert (got - expected).abs().max() <= 1e-4, f"step {step}"
        expected[IMAGE] = -float("inf")  # generate never emits the image placeholder
        sequence.append(int(expected.argmax()))
        assert int(out.sequences[0, len(IMAGE_IDS) + step]) == sequence[-1], f"step {step}"


@torch.no_grad()
def test_official_sampling_with_a_seed_equals_the_released_sampling_loop(loaded):
    """The released decoding: the whole sequence each step, then HF's sampler (softmax, one multinomial draw)."""
    ids, image = torch.tensor([IMAGE_IDS]), pixels(1, 5)
    torch.manual_seed(11)
    got = loaded.generate(input_ids=ids, pixel_values=image, do_sample=True, temperature=1.0, top_k=0, top_p=1.0,
                          max_new_tokens=STEPS, pad_token_id=0, eos_token_id=None)
    torch.manual_seed(11)
    sequence = ids
    for _ in range(STEPS):
        logits = loaded(sequence, pixel_values=image, use_cache=False).logits[:, -1].float()
        logits[:, IMAGE] = -float("inf")
        sequence = torch.cat([sequence, torch.multinomial(logits.softmax(-1), 1)], 1)
    assert torch.equal(got, sequence)


def test_sequences_longer_than_the_released_model_max_length_are_refused(official_dir):
    """The released inference cuts inputs to its tokenizer's model_max_length (2048) without a word."""
    model = load_official(official_dir, **{**LOADER_KWARGS, "official_max_length": 24})
    model(torch.tensor([TEXT_IDS * 3]))  # 24 positions: allowed
    with pytest.raises(ValueError, match="25 positions exceed the released model_max_length 24"):
        model(torch.tensor([TEXT_IDS * 3 + [1]]))
