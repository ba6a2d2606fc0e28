"""model.json's recipe facts (iitbench/study/jobs.py): per-stage learning rates, the seed-free recipe key, and the
committed deep-zoo cards, whose per-stage rates were derived from the recipes in iitbench/zoo/deep.py (the weights
are not needed: the recipe hash in each card proves which recipe built it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iitbench.study.jobs import card_facts, recipe_card

STUDY = Path(__file__).resolve().parents[2] / "leaderboards" / "studies" / "deep-zoo"
CARDS = sorted(STUDY.glob("*/model.json"))


def test_per_stage_rates_tell_split_from_uniform_low():
    """A maximum over stages made both schemes' projector rate 1e-3 (the warm-up's); per stage they differ."""
    card = {"recipe": {"kind": "MLLMRecipe", "name": "x", "seed": 1, "method": "naive"}, "stages": [
        {"name": "warmup", "steps": 10, "trainable_parameters": {"projector": 5},
         "learning_rates": {"projector": 1e-3, "llm": 2e-5}},
        {"name": "full", "steps": 20, "trainable_parameters": {"projector": 5, "llm_attention": 7},
         "learning_rates": {"projector": 5e-5, "llm": 5e-5}}]}
    facts = card_facts(card)
    assert facts["stages"] == [{"name": "warmup", "steps": 10, "lr": {"projector": 1e-3}},
                               {"name": "full", "steps": 20, "lr": {"llm_attention": 5e-5, "projector": 5e-5}}]
    assert facts["lr_projector"] == 5e-5 and facts["lr_llm"] == 5e-5  # the warm-up's llm rate: LLM not trained
    other_seed = card_facts({**card, "recipe": {**card["recipe"], "name": "x-s2", "seed": 2}})
    assert other_seed["recipe_key"] == facts["recipe_key"]
    other_recipe = card_facts({**card, "recipe": {**card["recipe"], "method": "wings"}})
    assert other_recipe["recipe_key"] != facts["recipe_key"]


@pytest.mark.skipif(not CARDS, reason="no committed deep-zoo study")
def test_committed_deep_zoo_cards_match_their_recipes():
    from iitbench.zoo.deep import deep_recipes

    recipes = deep_recipes()
    keys: dict[str, set[str]] = {}
    for path in CARDS:
        info = json.loads(path.read_text(encoding="utf-8"))
        facts = card_facts(recipe_card(recipes[info["name"]]))
        for key in ("recipe_hash", "recipe_key", "stages", "lr_llm", "lr_projector", "steps", "trained"):
            assert info[key] == facts[key], (path, key)
        keys.setdefault(info["recipe_key"], set()).add(info["name"])
    assert len(keys) == 18  # 26 models, 18 recipes: seeds share a key
    assert keys[json.loads((STUDY / "deep-wings" / "model.json").read_text())["recipe_key"]] == {
        "deep-wings", "deep-wings-s1", "deep-wings-s2"}
    split, low = (json.loads((STUDY / n / "model.json").read_text()) for n in ("deep-naive-split",
                                                                                 "deep-naive-uniform-low"))
    assert split["lr_projector"] == 1e-3 and low["lr_projector"] == 5e-5


def test_a_merge_card_counts_as_a_moved_llm_unless_alpha_is_zero():
    """A merge trained nothing, but its LLM is not the base's (alpha > 0): the validity study keeps it among the
    models whose LLM changed, and the models table names it by its alpha."""
    from iitbench.study.tables import ModelRow, models_table

    card = {"method": "merge of real-naive-high-lr", "seed": 0, "recipe_hash": "h", "merge": {"alpha": 0.5},
            "recipe": {"name": "m-050", "source": "real-naive-high-lr", "alpha": 0.5}, "eval": {"mm": {"mean": 0.4}}}
    facts = card_facts(card)
    assert facts["llm_trained"] and facts["merge_alpha"] == 0.5 and facts["mm_acc"] == 0.4
    assert ModelRow(name="m", info=facts).llm_trained
    assert not ModelRow(name="m0", info=card_facts({**card, "recipe": {**card["recipe"], "alpha": 0.0}})).llm_trained
    assert models_table([ModelRow(name="m", info=facts)])[1][0][3] == "merge α 0.5"


def test_a_real_family_replicate_is_told_apart_by_its_stage2_seed():
    """Real-family replicates share stage 1 (built with the build's seed) and re-draw stage 2: model.json's seed is
    stage 2's, so C2/C4 pair seed k of WINGS with seed k of naive."""
    card = {"method": "naive", "seed": 0, "stage2_seed": 1, "recipe": {"name": "real-naive-s1", "seed": 1},
            "stages": []}
    assert card_facts(card)["seed"] == 1 and card_facts({**card, "stage2_seed": None})["seed"] == 0
