"""Prefix sharing in the `hf` adapter (`iitbench.models.hf_vlm_share`): each dialogue, images included, is read once
and the scores equal the naive one-forward-per-candidate path on tiny LLaVA, Qwen2-VL, Idefics3 and Gemma3 models."""

from __future__ import annotations

import pytest

from iitbench.models import ChoiceRequest, hf_vlm_share, load_model
from tests.models.hf_vlm_fixtures import FAMILIES, assistant, image_root, img, one_torch_thread, user, vlm_dirs  # noqa: F401

TOL = 1e-5
TEXTS = ("red dog", "the answer is yes", "B", "a green cat house")
_LOADED: dict = {}


@pytest.fixture(scope="module")
def hf(vlm_dirs):
    """`hf(family, sharing, batch_size, **extra)`: an `hf:` adapter, loaded once per module."""

    def get(family: str, sharing: bool, batch_size: int, **extra):
        key = (family, sharing, batch_size, tuple(sorted(extra.items())))
        if key not in _LOADED:
            _LOADED[key] = load_model(f"hf:{vlm_dirs[family]}", {"prefix_sharing": sharing,
                                                                  "batch_size": batch_size, **extra})
        return _LOADED[key]

    return get


def _requests(root, choices=TEXTS) -> list[ChoiceRequest]:
    """Image in an earlier turn, image in the last turn, two images, text only (single- and multi-turn)."""
    red, green = img(root, "red.png"), img(root, "green.png")
    dialogues = [
        (user(red, "Look at this."), assistant("ok"), user("Which color was it?")),
        (user("What is it?"), assistant("a cat"), user("And this one?", green)),
        (user("A plain text question only"),),
        (user(red, green, "Which of the two is green?"),),
        (user("Hello there"), assistant("hi"), user("Pick one: red or blue?")),
    ]
    return [ChoiceRequest(key=f"r{i}", messages=m, choices=choices) for i, m in enumerate(dialogues)]


def _best(results) -> list[int]:
    return [max(range(len(r.logliks)), key=r.logliks.__getitem__) for r in results]


def _close(a, b) -> None:
    for x, y in zip(a, b, strict=True):
        assert x.n_tokens == y.n_tokens
        assert max(abs(p - q) for p, q in zip(x.logliks, y.logliks, strict=True)) <= TOL
    assert _best(a) == _best(b)


@pytest.mark.parametrize("family", FAMILIES)
def test_shared_scores_equal_the_naive_path_at_any_batch_size(family, hf, image_root):
    reqs = _requests(image_root)
    naive = hf(family, False, 4).score_choices(reqs)
    assert any(n > 1 for r in naive for n in r.n_tokens)  # multi-token candidates run the suffix pass
    for batch_size in (1, 4):
        adapter = hf(family, True, batch_size)
        assert adapter.describe()["prefix_sharing"] is True
        _close(adapter.score_choices(reqs), naive)


@pytest.mark.parametrize("family", FAMILIES)
def test_each_dialogue_is_read_once(family, vlm_dirs, image_root):
    shared = load_model(f"hf:{vlm_dirs[family]}", {"batch_size": 4})
    naive = load_model(f"hf:{vlm_dirs[family]}", {"batch_size": 4, "prefix_sharing": False})
    reqs = _requests(image_root)
    shared.score_choices(reqs)
    naive.score_choices(reqs)
    s, n = shared.describe(), naive.describe()
    assert s["tokens_forwarded"] == s["tokens_unique"] == n["tokens_unique"]
    assert n["tokens_forwarded"] / n["tokens_unique"] > 3  # four candidates, each with the whole dialogue


def test_letter_candidates_need_only_the_prefix_pass(hf, image_root):
    adapter = hf("qwen2_vl", True, 4)
    calls = []
    handle = adapter.model.register_forward_pre_hook(lambda mod, args: calls.append(1))
    try:
        shared = adapter.score_choices(_requests(image_root, ("A", "B", "C", "D")))
    finally:
        handle.remove()
    assert len(calls) == 2  # five dialogues in batches of four; single-token candidates need no suffix pass
    _close(shared, hf("qwen2_vl", False, 4).score_choices(_requests(image_root, ("A", "B", "C", "D"))))


def test_candidates_holding_an_image_marker_use_the_naive_path(hf, image_root):
    """A candidate with Qwen2-VL's <|vision_end|> token could end an image inside the suffix: scored naively."""
    reqs = _requests(image_root, ("red dog", "<|vision_end|> dog"))[:2]
    shared, naive = hf("qwen2_vl", True, 4), hf("qwen2_vl", False, 4)
    before = shared.tally.forwarded, naive.tally.forwarded
    _close(shared.score_choices(reqs), naive.score_choices(reqs))
    assert shared.tally.forwarded - before[0] == naive.tally.forwarded - before[1]  # every row read whole


def test_left_truncated_text_dialogues_score_as_in_the_naive_path(hf, image_root):
    reqs = [ChoiceRequest(key=f"t{k}", messages=(user("the answer is " * (8 + k)),), choices=TEXTS)
            for k in range(3)]
    shared, naive = hf("llava", True, 2, max_length=40), hf("llava", False, 2, max_length=40)
    _close(shared.score_choices(reqs), naive.score_choices(reqs))
    assert shared.describe()["truncated_requests"] == 3


def test_unverified_families_fall_back_to_the_naive_path(vlm_dirs, image_root, monkeypatch):
    monkeypatch.setattr(hf_vlm_share, "SHARED_FAMILIES", frozenset({"llava"}))
    adapter = load_model(f"hf:{vlm_dirs['gemma3']}", {"batch_size": 4})
    info = adapter.describe()
    assert info["prefix_sharing"] is False and "gemma3" in info["prefix_sharing_note"]
    adapter.score_choices(_requests(image_root)[:2])
    info = adapter.describe()
    assert info["tokens_forwarded"] > 3 * info["tokens_unique"]
