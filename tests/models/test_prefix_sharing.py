"""Prefix sharing (`iitbench.models.prefix_share`) in hf-causal: the dialogue is read once, single-token candidates
cost no extra forward, and scores equal the naive one-sequence-per-candidate path whatever the batch size."""

from __future__ import annotations

import pytest

from iitbench.data.types import TextPart
from iitbench.errors import ModelError
from iitbench.models import load_model
from iitbench.models.hf_loglik import ScoreSeq
from iitbench.models.prefix_share import plan_groups
from iitbench.models.protocol import ChoiceRequest, Message, TextScoreRequest

TOL = 1e-5


def _msg(role: str, text: str) -> Message:
    return Message(role=role, parts=(TextPart(text),))


def _requests(letters: bool) -> list[ChoiceRequest]:
    out = []
    for k in range(9):
        msgs = [_msg("user", "Which colour is the sky? " * (1 + k % 4) + "A. red B. blue C. green D. cat")]
        if k % 2:  # multi-turn: earlier turns with their answers
            msgs = [_msg("user", f"First question {k}: the dog or the cat?"), _msg("assistant", "B"), *msgs]
        choices = ("A", "B", "C", "D") if letters else ("the red cat", "blue", "dog house tree", "A")
        out.append(ChoiceRequest(key=f"r{k}", messages=tuple(msgs), choices=choices))
    return out


@pytest.fixture(scope="module")
def models(tiny_lm):
    made = {}

    def get(sharing: bool, batch_size: int, **extra):
        key = (sharing, batch_size, tuple(sorted(extra.items())))
        if key not in made:
            made[key] = load_model(f"hf-causal:{tiny_lm}", {"dtype": "float32", "prefix_sharing": sharing,
                                                            "batch_size": batch_size, **extra})
        return made[key]
    return get


def _close(a, b) -> None:
    for x, y in zip(a, b, strict=True):
        assert x.n_tokens == y.n_tokens
        assert max(abs(p - q) for p, q in zip(x.logliks, y.logliks)) <= TOL


@pytest.mark.parametrize("letters", [True, False], ids=["letters", "texts"])
def test_shared_prefix_scores_equal_the_naive_path(models, letters):
    reqs = _requests(letters)
    _close(models(True, 4).score_choices(reqs), models(False, 4).score_choices(reqs))


@pytest.mark.parametrize("letters", [True, False], ids=["letters", "texts"])
def test_scores_do_not_depend_on_batch_size(models, letters):
    reqs = _requests(letters)
    runs = [models(True, bs).score_choices(reqs) for bs in (1, 4, 16)]
    for other in runs[1:]:
        _close(runs[0], other)
        assert [max(range(4), key=r.logliks.__getitem__) for r in other] == \
               [max(range(4), key=r.logliks.__getitem__) for r in runs[0]]


def test_letter_candidates_need_one_forward_per_batch_of_dialogues(models):
    adapter = models(True, 4)
    calls = []
    handle = adapter.model.register_forward_pre_hook(lambda mod, args: calls.append(1))
    try:
        before = adapter.tally.forwarded
        adapter.score_choices(_requests(letters=True))
    finally:
        handle.remove()
    assert len(calls) == 3  # 9 dialogues in batches of 4; no forward for the 4 letters
    assert adapter.tally.forwarded - before > 0


@pytest.mark.parametrize("letters", [True, False], ids=["letters", "texts"])
def test_no_token_is_forwarded_twice(tiny_lm, letters):
    shared = load_model(f"hf-causal:{tiny_lm}", {"dtype": "float32"})
    naive = load_model(f"hf-causal:{tiny_lm}", {"dtype": "float32", "prefix_sharing": False})
    reqs = _requests(letters)
    shared.score_choices(reqs)
    naive.score_choices(reqs)
    s, n = shared.describe(), naive.describe()
    assert s["tokens_forwarded"] == s["tokens_unique"] == n["tokens_unique"]
    assert n["tokens_forwarded"] / n["tokens_unique"] > 3.5  # four candidates, each read whole


def test_raw_text_requests_with_one_context_share_it(models):
    reqs = [TextScoreRequest(key=str(i), context=ctx, continuation=cont)
            for i, (ctx, cont) in enumerate([("the answer is", " red"), ("the answer is", " blue dog"),
                                             ("which of", " A"), ("the answer is", " A"), ("", "cat tree"),
                                             ("which of ", "the cat")])]
    shared, naive = models(True, 2).score_text(reqs), models(False, 2).score_text(reqs)
    for a, b in zip(shared, naive, strict=True):
        assert (a.n_tokens, a.is_greedy) == (b.n_tokens, b.is_greedy)
        assert abs(a.loglik - b.loglik) <= TOL


def test_left_truncated_dialogues_score_as_in_the_naive_path(models):
    reqs = _requests(letters=False)
    _close(models(True, 3, max_length=40).score_choices(reqs), models(False, 3, max_length=40).score_choices(reqs))


def test_sequences_without_a_common_token_get_groups_of_their_own():
    seqs = [ScoreSeq(ids=(1, 2, 3, 4), cont_start=2), ScoreSeq(ids=(1, 2, 5), cont_start=2),
            ScoreSeq(ids=(9, 2, 5), cont_start=2)]
    plan = plan_groups(seqs, ["a", "a", "b"])
    assert [(g.prefix, g.members, g.keep) for g in plan] == [((1, 2), (0, 1), 1), ((9, 2), (2,), 1)]
    mixed = plan_groups([seqs[0], seqs[2]], ["a", "a"])
    assert [(g.prefix, g.members, g.keep) for g in mixed] == [((1, 2, 3), (0,), 2), ((9, 2), (1,), 1)]


def test_candidates_sharing_their_first_token_extend_the_prefix():
    """" A" / " B" tokenized as space + letter: the space joins the prefix, the letters need no forward."""
    seqs = [ScoreSeq(ids=(5, 6, 7, 0, letter), cont_start=3) for letter in (11, 12, 13, 14)]
    (group,) = plan_groups(seqs, [0] * 4)
    assert group.prefix == (5, 6, 7, 0) and group.keep == 2


def test_prefix_sharing_must_be_true_or_false(tiny_lm):
    with pytest.raises(ModelError, match="prefix_sharing"):
        load_model(f"hf-causal:{tiny_lm}", {"prefix_sharing": "maybe"})


def test_models_without_positions_or_cache_fall_back_to_the_naive_path(models):
    import torch

    from iitbench.models.prefix_share import supports_prefix_sharing

    class NoCache(torch.nn.Module):
        def forward(self, input_ids, attention_mask=None):
            return input_ids

    assert not supports_prefix_sharing(NoCache())
    assert supports_prefix_sharing(models(True, 4).model) and models(True, 4).describe()["prefix_sharing"] is True
