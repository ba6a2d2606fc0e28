"""hf (image-text-to-text) scoring and generation on tiny LLaVA, Qwen2-VL, Idefics3 and Gemma3 models."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForImageTextToText

from iitbench.models import ChoiceRequest, GenerateRequest
from iitbench.models.hf_loglik import split_point
from tests.models.hf_vlm_fixtures import (  # noqa: F401
    FAMILIES,
    assistant,
    image_root,
    img,
    one_torch_thread,
    user,
    vlm_adapter,
    vlm_dirs,
)

_MODELS: dict = {}  # HF models loaded directly (not through the adapter), one per family
CHOICES = ("A", "B", "red dog", "the answer is yes")


def dialogues(root):
    """Image in turn 2; image in turn 1 then a text question; text only; two images in one turn."""
    red, green = img(root, "red.png"), img(root, "green.png")
    return [
        (user("What is it?"), assistant("a cat"), user("And this one?", red)),
        (user(red, "Look at this."), assistant("ok"), user("Which color was it?")),
        (user("A plain text question only"),),
        (user(red, green, "Which of the two is green?"),),
        (user("Hello"), assistant("hi"), user(green, "What is shown?")),
    ]


def manual_logliks(model_dir, adapter, messages, choice):
    """Direct computation: the processor on context and context+choice, one forward pass, fp64 log-softmax."""
    if model_dir not in _MODELS:
        _MODELS[model_dir] = AutoModelForImageTextToText.from_pretrained(model_dir, dtype=torch.float32).eval()
    model = _MODELS[model_dir]
    proc = adapter.processor
    prompt = adapter.render(messages)
    images = [[ref.load() for m in messages for ref in m.images]] or None
    images = images if images[0] else None
    ctx = proc(text=[prompt], images=images, add_special_tokens=False)["input_ids"][0]
    full = proc(text=[prompt + choice], images=images, add_special_tokens=False, return_tensors="pt")
    ids = full["input_ids"][0].tolist()
    start = split_point(ctx, ids)
    with torch.no_grad():
        logits = model(**full).logits[0].double()
    logprobs = torch.log_softmax(logits, dim=-1)
    return float(sum(logprobs[t - 1, ids[t]] for t in range(start, len(ids)))), len(ids) - start


@pytest.mark.parametrize("family", FAMILIES)
def test_loglik_equals_direct_computation_with_images_in_either_turn(family, vlm_adapter, vlm_dirs, image_root):
    adapter = vlm_adapter(family)
    for messages in dialogues(image_root)[:2]:
        result = adapter.score_choices([ChoiceRequest(key="k", messages=messages, choices=CHOICES)])[0]
        for k in (0, 2):
            expected, n = manual_logliks(vlm_dirs[family], adapter, messages, CHOICES[k])
            assert result.n_tokens[k] == n > 0
            assert result.logliks[k] == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("family", FAMILIES)
def test_batch_size_one_and_four_give_the_same_scores(family, vlm_adapter, image_root):
    reqs = [ChoiceRequest(key=f"item-{i}", messages=m, choices=CHOICES) for i, m in enumerate(dialogues(image_root))]
    singly = [vlm_adapter(family, 1).score_choices([r])[0] for r in reqs]
    together = vlm_adapter(family, 4).score_choices(reqs)
    for a, b in zip(singly, together):
        assert a.n_tokens == b.n_tokens
        assert max(range(4), key=a.logliks.__getitem__) == max(range(4), key=b.logliks.__getitem__)
        assert max(abs(x - y) for x, y in zip(a.logliks, b.logliks)) <= 1e-5


@pytest.mark.parametrize("family", FAMILIES)
def test_the_image_changes_the_score(family, vlm_adapter, image_root):
    red, green = img(image_root, "red.png"), img(image_root, "green.png")
    reqs = [ChoiceRequest(key=k, messages=(user("What is shown?", ref),), choices=("red dog",))
            for k, ref in (("r", red), ("g", green))]
    a, b = vlm_adapter(family).score_choices(reqs)
    assert a.logliks[0] != b.logliks[0]


@pytest.mark.parametrize("family", FAMILIES)
def test_generation_is_greedy_deterministic_and_batch_independent(family, vlm_adapter, image_root):
    reqs = [GenerateRequest(key=f"g{i}", messages=m, max_new_tokens=4 + i % 2)
            for i, m in enumerate(dialogues(image_root))]
    first = vlm_adapter(family, 4).generate(reqs)
    assert first == vlm_adapter(family, 4).generate(reqs)
    assert first == [vlm_adapter(family, 1).generate([r])[0] for r in reqs]
    assert all(isinstance(g.text, str) for g in first)
