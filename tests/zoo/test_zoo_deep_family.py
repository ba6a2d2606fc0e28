"""The deep study family: a 12-layer base and 26 distinct MLLM recipes on it; shipped recipe hashes unchanged."""

from __future__ import annotations

import pytest

from iitbench.errors import UserError
from iitbench.zoo import WEIGHTS_DIR
from iitbench.zoo.cards import read_card
from iitbench.zoo.deep import BASE, deep_recipes
from iitbench.zoo.recipes import RECIPES, LLMRecipe, MLLMRecipe, recipe_hash
from iitbench.zoo.train import selected


def test_the_family_has_a_12_layer_base_and_at_least_24_distinct_models():
    recipes = deep_recipes()
    assert recipes[BASE].num_layers >= 12 and isinstance(recipes[BASE], LLMRecipe)
    mllms = [r for r in recipes.values() if isinstance(r, MLLMRecipe)]
    assert len(mllms) >= 24 and all(r.base == BASE for r in mllms)
    assert len({recipe_hash(r) for r in mllms}) == len(mllms)  # no model counted twice
    seeds = {r.name: r.seed for r in mllms}
    assert seeds["deep-naive-s1"] == 1 and seeds["deep-wings-s2"] == 2 and seeds["deep-naive"] is None


def test_shipped_cards_stay_current_after_the_recipe_fields_added_for_families():
    for name in ("llava-tiny", "wings-tiny"):
        assert read_card(WEIGHTS_DIR / name)["recipe_hash"] == recipe_hash(RECIPES[name])


def test_family_selection_names_only_its_members():
    assert selected(["base-deep", "deep-wings"], False, "deep") == ["base-deep", "deep-wings"]
    with pytest.raises(UserError, match="not in the family"):
        selected(["wings-tiny"], False, "deep")


def test_llm_part_selectors_train_only_attention_or_only_mlp():
    from tests.wings_ref.wings_tiny import tiny_config
    from wings_ref import WingsForConditionalGeneration
    from wings_ref.train.stages import apply_stage

    model = WingsForConditionalGeneration(tiny_config(use_learners=False))
    for selector, module, other in (("llm_attention", ".self_attn.", ".mlp."), ("llm_mlp", ".mlp.", ".self_attn.")):
        counts = apply_stage(model, ["projector", selector])
        trained = [n for n, p in model.named_parameters() if p.requires_grad]
        assert set(counts) == {"projector", selector}
        assert any(module in n for n in trained) and not any(other in n for n in trained)
        assert not any("embed_tokens" in n or "lm_head" in n for n in trained)
