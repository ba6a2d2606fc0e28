"""Prefix sharing in the `wings` adapter: each dialogue (image included) is read once, then only the candidates'
tokens over the KV cache and the learner memory (`WingsCache`); scores equal the naive path at every batch size."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from iitbench.data.types import TextPart
from iitbench.models import load_model
from iitbench.models.protocol import ChoiceRequest, ImageRef, Message
from tests.fixtures.tiny_wings import make_tiny_wings

TOL = 1e-5
TEXTS = ("the red apple", "blue sky tree", "a green dog house", "the cat")  # multi-token candidates
LETTERS = ("A", "B", "C", "D")


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("wps_images")
    (root / "images").mkdir()
    for colour, size in (("red", (12, 20)), ("blue", (20, 12)), ("green", (16, 16))):
        Image.new("RGB", size, colour).save(root / "images" / f"{colour}.png")
    return root


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Adapters over seeded tiny WINGS checkpoints (learners on, non-zero B and router), one per setting."""
    dirs: dict[str, Path] = {}
    made: dict[tuple, object] = {}

    def get(sharing: bool, batch_size: int = 4, mode: str = "clean"):
        if mode not in dirs:
            dirs[mode] = make_tiny_wings(tmp_path_factory.mktemp(f"wps_{mode}"), mode=mode)
        key = (sharing, batch_size, mode)
        if key not in made:
            made[key] = load_model(f"wings:{dirs[mode]}", {"dtype": "float32", "prefix_sharing": sharing,
                                                           "batch_size": batch_size})
        return made[key]
    return get


def _user(*parts) -> Message:
    return Message("user", tuple(p if isinstance(p, ImageRef) else TextPart(p) for p in parts))


def _assistant(text: str) -> Message:
    return Message("assistant", (TextPart(text),))


def _requests(root: Path, choices: tuple[str, ...] = TEXTS) -> list[ChoiceRequest]:
    """Text-only and image dialogues mixed (different images, in turn 1 or 2, single and multi-turn, varied lengths)."""
    red, blue, green = (ImageRef(root, f"images/{c}.png") for c in ("red", "blue", "green"))
    dialogues = [
        (_user("Which colour is it?"),),
        (_user(red, "What is shown here?"),),
        (_user("Sum 2 + 3?"), _assistant("five"), _user("Look: ", blue, " which side is it on?")),
        (_user("Is the sky blue?"), _assistant("yes"), _user("And the water in the sea?")),
        (_user(green, "A tree?"), _assistant("a green dog house"), _user("and what is the colour now?")),
        (_user("Pick the first option " * 3),),
        (_user(blue, "Name it."), _assistant("blue sky tree"), _user("Again?"), _assistant("the cat"),
         _user("Once more, the same thing please.")),
        (_user("Short?"),),
        (_user("Describe ", red, " briefly."),),
    ]
    return [ChoiceRequest(key=f"r{i}", messages=d, choices=choices) for i, d in enumerate(dialogues)]


def _close(a, b) -> None:
    for x, y in zip(a, b, strict=True):
        assert x.n_tokens == y.n_tokens
        assert max(abs(p - q) for p, q in zip(x.logliks, y.logliks)) <= TOL
        assert x.logliks.index(max(x.logliks)) == y.logliks.index(max(y.logliks))


@pytest.mark.parametrize("choices", [TEXTS, LETTERS], ids=["texts", "letters"])
def test_shared_prefix_scores_equal_the_naive_path(models, images, choices):
    reqs = _requests(images, choices)
    naive = models(False).score_choices(reqs)
    _close(models(True).score_choices(reqs), naive)
    assert len({r.logliks for r in naive}) == len(reqs)  # dialogues (and their images) change the scores


def test_scores_do_not_depend_on_batch_size(models, images):
    reqs = _requests(images)
    runs = [models(True, bs).score_choices(reqs) for bs in (1, 4, 16)]
    for other in runs[1:]:
        _close(runs[0], other)


def test_the_learners_matter_for_the_shared_scores(models, images):
    """A learner bug in the cached path would show: zeroing the learners' outputs changes every score."""
    reqs = _requests(images)[:3]
    adapter = models(True, 16)
    before = adapter.score_choices(reqs)
    ups = [m.o_proj[1].weight for layer in adapter.model.model.layers for m in (layer.attn_pool, layer.attn_t_pool)]
    saved = [w.detach().clone() for w in ups]
    try:
        with torch.no_grad():
            for w in ups:
                w.zero_()
        after = adapter.score_choices(reqs)
    finally:
        with torch.no_grad():
            for w, s in zip(ups, saved):
                w.copy_(s)
    assert all(max(abs(p - q) for p, q in zip(x.logliks, y.logliks)) > 1e-3 for x, y in zip(before, after))


def test_tokens_forwarded_are_about_the_unique_tokens_not_four_times_them(tmp_path_factory, images):
    directory = make_tiny_wings(tmp_path_factory.mktemp("wps_tally"))
    shared = load_model(f"wings:{directory}", {"dtype": "float32"})
    naive = load_model(f"wings:{directory}", {"dtype": "float32", "prefix_sharing": False})
    reqs = _requests(images)
    shared.score_choices(reqs)
    naive.score_choices(reqs)
    s, n = shared.describe(), naive.describe()
    assert s["prefix_sharing"] is True and n["prefix_sharing"] is False
    assert s["tokens_unique"] == n["tokens_unique"] > 0
    assert s["tokens_forwarded"] / s["tokens_unique"] < 1.2  # candidates starting alike ("the ...") read twice
    assert n["tokens_forwarded"] / n["tokens_unique"] > 3.2  # four candidates, each read whole (the trie holds
    # each candidate's own tokens once, so the naive ratio stays under 4)


def test_letter_candidates_need_one_forward_per_batch_of_dialogues(models, images):
    adapter = models(True, 4)
    calls = []
    handle = adapter.model.register_forward_pre_hook(lambda mod, args: calls.append(1))
    try:
        adapter.score_choices(_requests(images, LETTERS))
    finally:
        handle.remove()
    assert len(calls) == 3  # 9 dialogues in batches of 4; no forward for the single-token letters


def test_official_mode_shares_text_dialogues_and_scores_image_ones_naively(models, images):
    """The released textual mask lets an image dialogue's tokens see later text, so only text-only ones share."""
    reqs = _requests(images)
    shared, naive = models(True, mode="official"), models(False, mode="official")
    before = shared.tally.forwarded, shared.tally.unique
    _close(shared.score_choices(reqs), naive.score_choices(reqs))
    forwarded, unique = shared.tally.forwarded - before[0], shared.tally.unique - before[1]
    assert unique < forwarded < 3 * unique  # image dialogues read whole per candidate, text-only ones once


def test_wings_cache_selects_the_learner_memory_with_its_rows(models):
    model = models(True).model
    ids = torch.tensor([[5, 6, 7, 8], [9, 10, 11, 12]])
    out = model(input_ids=ids, use_cache=True)
    memory = out.cache.wings_memory
    text, kv = memory.text_source.clone(), {k: v[0].clone() for k, v in memory.kv.items()}
    assert kv  # the learner layers projected their keys at prefill
    out.cache.batch_select_indices(torch.tensor([1, 1, 0]))
    assert torch.equal(memory.text_source, text[[1, 1, 0]]) and memory.has_image.shape == (3,)
    assert all(torch.equal(memory.kv[k][0], v[[1, 1, 0]]) for k, v in kv.items())
    assert out.cache.layers[0].keys.shape[0] == 3
