"""Decoding beyond greedy: beam search, prompt-lookup (assisted) decoding, several images per sample.

The reference re-runs every hypothesis without a cache, so it needs none of the cache bookkeeping under test: the
learner memory must follow the KV cache when beams are reordered (clean mode caches), when assisted decoding crops
rejected tokens, and each sample's images must go with each of its beams.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tests.wings_ref.wings_tiny import IMAGE_TOKEN, IMAGE_TOKENS, PAD, image_prompt, pad_batch, pixels, text_prompt
from wings_ref.modeling_wings import WingsCache

BEAMS, STEPS = 3, 6


def two_image_prompt(seed: int) -> list[int]:
    text = text_prompt(seed, 9)
    return text[:3] + [IMAGE_TOKEN] * IMAGE_TOKENS + text[3:5] + [IMAGE_TOKEN] * IMAGE_TOKENS + text[5:]


@torch.no_grad()
def reference_beam_search(model, prompt: list[int], images, beams: int, steps: int) -> list[int]:
    """Beam search with no end token: keep the `beams` best sums of log-probs; every hypothesis re-run whole."""
    hypotheses = [(prompt, 0.0)]
    for _ in range(steps):
        candidates = []
        for tokens, score in hypotheses:
            logits = model(torch.tensor([tokens]), pixel_values=images, use_cache=False).logits[0, -1].float()
            logprobs = F.log_softmax(logits, -1)
            logprobs[IMAGE_TOKEN] = -float("inf")  # generate never emits the image placeholder
            top = logprobs.topk(beams)
            candidates += [(tokens + [int(t)], score + float(v)) for v, t in zip(top.values, top.indices)]
        hypotheses = sorted(candidates, key=lambda c: -c[1])[:beams]
    return hypotheses[0][0][len(prompt):]


def images_of(prompt: list[int], seed: int):
    n = prompt.count(IMAGE_TOKEN) // IMAGE_TOKENS
    return pixels(n, seed) if n else None


@pytest.mark.parametrize("fixture", ["learned_model", "official_model"])
@torch.no_grad()
def test_beam_search_of_a_padded_batch_equals_per_sample_uncached_beam_search(request, fixture):
    model = request.getfixturevalue(fixture)
    prompts = [text_prompt(3, 7), image_prompt(4, before=4, after=3)]
    if model.config.mode == "clean":  # official mode takes one image per sample
        prompts.append(two_image_prompt(5))
    images = [images_of(p, seed) for seed, p in enumerate(prompts)]
    ids, mask = pad_batch(prompts, "left")
    present = [i for i in images if i is not None]
    out = model.generate(input_ids=ids, attention_mask=mask, pixel_values=torch.cat(present), num_beams=BEAMS,
                         max_new_tokens=STEPS, do_sample=False, pad_token_id=PAD, eos_token_id=None)
    for row, prompt in enumerate(prompts):
        expected = reference_beam_search(model, prompt, images[row], BEAMS, STEPS)
        assert out[row, ids.shape[1]:].tolist() == expected, f"{fixture} row {row}"


@torch.no_grad()
def test_beam_search_reorders_the_learner_memory_with_the_cache(learned_model, monkeypatch):
    calls = []
    original = WingsCache.reorder_cache
    monkeypatch.setattr(WingsCache, "reorder_cache", lambda self, idx: calls.append(idx.tolist()) or original(self, idx))
    learned_model.generate(input_ids=torch.tensor([image_prompt(4)]), pixel_values=pixels(1), num_beams=BEAMS,
                           max_new_tokens=3, do_sample=False, pad_token_id=PAD, eos_token_id=None)
    assert calls, "beam search did not reorder the WingsCache (a plain DynamicCache would leave the memory behind)"


@torch.no_grad()
def test_prompt_lookup_decoding_crops_the_memory_and_equals_greedy(learned_model, monkeypatch):
    crops = []
    original = WingsCache.crop
    monkeypatch.setattr(WingsCache, "crop", lambda self, n: crops.append(n) or original(self, n))
    text = text_prompt(6, 6)
    prompt = text + [IMAGE_TOKEN] * IMAGE_TOKENS + text + text  # repeated n-grams: lookup proposes candidates
    ids, image = torch.tensor([prompt]), pixels(1, 2)
    plain = learned_model.generate(input_ids=ids, pixel_values=image, max_new_tokens=12, do_sample=False,
                                   pad_token_id=PAD, eos_token_id=None)
    lookup = learned_model.generate(input_ids=ids, pixel_values=image, max_new_tokens=12, do_sample=False,
                                    pad_token_id=PAD, eos_token_id=None, prompt_lookup_num_tokens=3)
    assert torch.equal(plain, lookup)
    assert any(n < 0 for n in crops), "no candidate was rejected: the test did not exercise cropping"


@torch.no_grad()
def test_cropped_memory_keeps_only_the_text_keys_of_the_kept_slots(learned_model):
    prompt = image_prompt(7, before=4, after=3)
    prefill = learned_model(torch.tensor([prompt]), pixel_values=pixels(1), use_cache=True)
    cache = prefill.cache
    before = cache.wings_memory.text_source.shape[1]
    learned_model(torch.tensor([[40, 41, 42]]), cache=cache, use_cache=True)
    cache.crop(-2)
    memory = cache.wings_memory
    assert cache.get_seq_length() == len(prompt) + 1
    assert memory.text_source.shape[1] == before + 1 and bool(memory.text_valid.all())
    assert memory.kv[(0, "textual")][0].shape[2] == before + 1
    step = learned_model(torch.tensor([[50]]), cache=cache, use_cache=True).logits[0, -1]
    whole = learned_model(torch.tensor([prompt + [40, 50]]), pixel_values=pixels(1)).logits[0, -1]
    assert torch.allclose(step, whole, atol=1e-5)
