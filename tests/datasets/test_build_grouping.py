import random

import numpy as np
import pytest

from iitbench.datasets.assemble import assemble
from iitbench.datasets.group import EmbeddingGrouper, Pools
from iitbench.errors import UserError
from tests.datasets.build_fixtures import ASTRONOMY, COOKING, text_q


def topic_pool():
    qs = [text_q("cook", i, t) for i, t in enumerate(COOKING)]
    qs += [text_q("astro", i, t) for i, t in enumerate(ASTRONOMY)]
    return qs


def same_topic_fraction(items) -> float:
    same = [len({t.source for t in it.turns}) == 1 for it in items]
    return sum(same) / len(same)


def test_embedding_grouping_keeps_topics_together_far_more_than_random(embedder):
    qs = topic_pool()
    emb = assemble(qs, ("TTT",), 20, seed=0, grouping="embedding")
    rnd = assemble(qs, ("TTT",), 20, seed=0, grouping="random")
    # Random context turns share the anchor's topic with probability ~(9/19)*(8/18) ~ 0.21 per dialogue.
    assert same_topic_fraction(emb) >= 0.9
    assert same_topic_fraction(rnd) <= 0.5


def test_embedding_build_is_deterministic(embedder):
    qs = topic_pool()
    assert assemble(qs, ("TT", "TTT"), 5, seed=2) == assemble(qs, ("TT", "TTT"), 5, seed=2)


def test_context_turns_are_nearest_first_backwards_from_the_scored_turn():
    qs = [text_q("s", i, f"question {i}") for i in range(4)]
    # q0 is the anchor; q2 is its nearest neighbour, then q1, then q3.
    vecs = np.array([[1, 0], [0.6, 0.8], [0.8, 0.6], [0, 1]], dtype=np.float32)
    grouper = EmbeddingGrouper(Pools.of(qs), vecs)
    assert grouper.neighbours(0, "T", {0}, 3, random.Random(0)) == [2, 1, 3]
    items = assemble(qs, ("TTT",), 4, seed=0, grouping=grouper)
    anchored = next(it for it in items if it.turns[-1].meta["qid"] == "q000")
    assert [t.meta["qid"] for t in anchored.turns] == ["q001", "q002", "q000"]


def test_rounded_similarity_ties_break_by_question_key():
    qs = [text_q("s", i, f"question {i}") for i in range(3)]
    # q1 and q2 differ from the anchor only below the rounding precision: the lower key wins, whatever the order.
    vecs = np.array([[1, 0], [0.70710, 0.70711], [0.70711, 0.70710]], dtype=np.float32)
    grouper = EmbeddingGrouper(Pools.of(qs), vecs)
    assert grouper.neighbours(0, "T", {0}, 2, random.Random(0)) == [1, 2]
    flipped = EmbeddingGrouper(Pools.of(qs), vecs[[0, 2, 1]])
    assert flipped.neighbours(0, "T", {0}, 2, random.Random(0)) == [1, 2]


def test_missing_embedder_is_a_user_error(tmp_path):
    from iitbench.datasets.embed import embed_texts

    with pytest.raises(UserError, match="--embedder"):
        embed_texts(["hello"], str(tmp_path / "no-such-model"))
