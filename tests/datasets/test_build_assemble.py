from collections import Counter

import pytest

from iitbench.datasets.assemble import assemble
from iitbench.errors import UserError
from tests.datasets.build_fixtures import make_pool

CONFIGS = ("T", "TT", "TTT", "TTV", "TV", "V", "VVT")


def test_turn_kinds_match_config(pool):
    items = assemble(pool, CONFIGS, 5, seed=0, grouping="random")
    assert Counter(it.config for it in items) == {c: 5 for c in CONFIGS}
    for it in items:
        assert "".join(t.kind for t in it.turns) == it.config
        assert it.scored_turn == len(it.turns) - 1


def test_item_ids_are_config_and_number(pool):
    items = assemble(pool, ("TV",), 3, seed=0, grouping="random")
    assert [it.id for it in items] == ["TV-00000", "TV-00001", "TV-00002"]


def test_no_question_repeats_within_a_dialogue(pool):
    for grouping in ("random",):
        for it in assemble(pool, ("TTT", "VVT", "TTTV"), 10, seed=3, grouping=grouping):
            keys = [(t.source, t.meta["qid"]) for t in it.turns]
            assert len(set(keys)) == len(keys)


def test_each_question_scored_at_most_once_per_config(pool):
    items = assemble(pool, ("T", "TT"), 30, seed=1, grouping="random")
    for config in ("T", "TT"):
        scored = [(it.turns[-1].source, it.turns[-1].meta["qid"]) for it in items if it.config == config]
        assert len(scored) == len(set(scored)) == 30


def test_same_seed_same_items_and_different_seed_differs(pool):
    a = assemble(pool, CONFIGS, 4, seed=7, grouping="random")
    b = assemble(pool, CONFIGS, 4, seed=7, grouping="random")
    c = assemble(pool, CONFIGS, 4, seed=8, grouping="random")
    assert a == b
    assert a != c


def test_adding_a_config_leaves_the_others_unchanged(pool):
    few = assemble(pool, ("TT",), 4, seed=0, grouping="random")
    more = assemble(pool, ("V", "TT"), 4, seed=0, grouping="random")
    assert few == [it for it in more if it.config == "TT"]


def test_turn_records_source_question_id(pool):
    it = assemble(pool, ("TV",), 1, seed=0, grouping="random")[0]
    by_key = {(q.source, q.id): q for q in pool}
    for t in it.turns:
        q = by_key[(t.source, t.meta["qid"])]
        assert t.text == q.text and t.choices == q.choices and t.answer == q.answer


def test_too_few_questions_error_says_how_many_are_available():
    pool = make_pool(n_text=6, n_image=3)
    with pytest.raises(UserError, match=r"only 3 are available") as e:
        assemble(pool, ("T", "V"), 5, seed=0, grouping="random")
    assert "'V'" in str(e.value)


def test_dialogue_longer_than_its_kind_pool_is_refused():
    pool = make_pool(n_text=6, n_image=2)
    with pytest.raises(UserError, match=r"3 distinct visual questions"):
        assemble(pool, ("VVV",), 1, seed=0, grouping="random")


def test_duplicate_question_ids_are_refused(pool):
    with pytest.raises(UserError, match="appears twice"):
        assemble(pool + [pool[0]], ("T",), 1, seed=0, grouping="random")


def test_unknown_grouping_is_a_user_error(pool):
    with pytest.raises(UserError, match="--grouping"):
        assemble(pool, ("TT",), 1, seed=0, grouping="cosine")
