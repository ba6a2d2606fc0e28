"""Zoo part 2: assembling WINGS from the zoo backbones, micro llava/wings recipes end to end, the sweep, the table."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from iitbench.data.types import TextPart
from iitbench.models import ChoiceRequest, Message, load_model
from iitbench.zoo import CARD_FILE, base_llm
from iitbench.zoo.assemble import AssembleSpec, assemble_wings, new_parameter_names
from iitbench.zoo.leaderboard import zoo_table
from iitbench.zoo.mllm import micro_recipe
from iitbench.zoo.recipes import LLAVA_TINY, MM_DATA, WINGS_TINY, recipe_hash
from iitbench.zoo.sweep import estimate_minutes, sweep_recipes
from iitbench.zoo.tokenizer import save_tokenizer
from iitbench.zoo.train import make_base, train_zoo


def _micro_vision(out: Path) -> Path:
    """A random 32 px / patch 16 SigLIP tower (4 image tokens): shape is all the MLLM tests need."""
    from transformers import SiglipVisionConfig, SiglipVisionModel

    torch.manual_seed(0)
    config = SiglipVisionConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
                                image_size=32, patch_size=16, vision_use_head=False)
    SiglipVisionModel(config).save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def zoo_root(tmp_path_factory, micro_tokenizer):
    """tokenizer + a 3-step base-tiny + a random tower, laid out as train_zoo's out_dir."""
    root = tmp_path_factory.mktemp("zoo")
    save_tokenizer(micro_tokenizer, root / "tokenizer")
    make_base(root / "base-tiny", base_llm.micro_recipe(), 0, root / "tokenizer", log=None, evaluate=False)
    _micro_vision(root / "siglip-tiny")
    return root


@pytest.fixture(scope="module")
def micro_recipes():
    return {"base-tiny": base_llm.micro_recipe(), "llava-tiny": micro_recipe("naive"),
            "wings-tiny": micro_recipe("wings")}


@pytest.fixture(scope="module")
def built(zoo_root, micro_recipes, tmp_path_factory):
    work = tmp_path_factory.mktemp("work")
    logs: list[str] = []
    out = train_zoo(zoo_root, only=["llava-tiny", "wings-tiny"], seed=0, recipes=micro_recipes, log=logs.append,
                    work_dir=work, leaderboard=zoo_root / "zoo.md")
    return out, work, logs


def _stage_dir(built, recipe: str, stage: str) -> Path:
    """The wings_ref output dir of one stage of a built micro recipe (its card names the stage's work key)."""
    out, work, _ = built
    card = json.loads((out[recipe] / CARD_FILE).read_text())
    return work / "stages" / next(s["work_key"] for s in card["stages"] if s["name"] == stage)


def test_assembled_wings_gives_base_tiny_logits_on_text_only_input(zoo_root, tmp_path, micro_tokenizer):
    from transformers import AutoModelForCausalLM

    from wings_ref import WingsForConditionalGeneration

    out = assemble_wings(zoo_root / "base-tiny", zoo_root / "siglip-tiny", tmp_path / "init",
                         AssembleSpec(use_learners=True, learner_rank=4))
    base = AutoModelForCausalLM.from_pretrained(zoo_root / "base-tiny").eval()
    wings = WingsForConditionalGeneration.from_pretrained(out).eval()
    ids = torch.tensor([micro_tokenizer("<|im_start|>user\nWhat is 12 + 7?<|im_end|>")["input_ids"]])
    with torch.no_grad():
        assert torch.equal(base(ids).logits, wings(input_ids=ids).logits)
    fresh = new_parameter_names(wings)
    assert fresh and all(("mm_projector" in n or "pool" in n or "reweight" in n) for n in fresh)
    ups = [p for n, p in wings.named_parameters() if "pool" in n and n.endswith(".1.weight")]
    assert ups and all(float(p.detach().abs().max()) == 0.0 for p in ups)  # B = 0: learners start silent
    assert (out / "processor_config.json").is_file() and wings.config.image_seq_length == 4


def test_micro_llava_and_wings_build_loadable_models_with_cards(built, zoo_root):
    out, _, logs = built
    assert set(out) == {"llava-tiny", "wings-tiny"}
    for name, recipe in (("llava-tiny", micro_recipe("naive")), ("wings-tiny", micro_recipe("wings"))):
        card = json.loads((out[name] / CARD_FILE).read_text())
        assert card["recipe_hash"] == recipe_hash(recipe) and card["seed"] == 0
        assert [s["steps"] for s in card["stages"]] == [2, 2] and card["parameters"] > 0
        assert set(card["eval"]) == {"text", "mm", "text_vs_base"} and card["eval"]["mm"]["n"] == 4
        paired = card["eval"]["text_vs_base"]  # the same items as the text suite, against the micro base
        assert paired["n"] == card["eval"]["text"]["n"] and abs(paired["acc_a"] - card["eval"]["text"]["mean"]) < 1e-4
        assert not {"items", "records"} & set(card["eval"]["text"])  # per-item data stays out of the card
        assert 0 < card["data"]["text_only_share"] < 1
        adapter = load_model(f"wings:{out[name]}")
        assert adapter.model.config.use_learners == (name == "wings-tiny")
        req = ChoiceRequest(key="k", messages=(Message("user", (TextPart("What is 2+2?"),)),), choices=("A", "B"))
        assert len(adapter.score_choices([req])[0].logliks) == 2
    assert any("stage wings-tiny: done" in line for line in logs)
    table = (zoo_root / "zoo.md").read_text()
    assert "llava-tiny" in table and "wings-tiny" in table and "Visual (mm suite)" in table


def test_wings_stage1_trains_projector_and_visual_learner_but_not_the_llm(built):
    out, work, _ = built
    new_ids = json.loads((out["wings-tiny"] / CARD_FILE).read_text())["data"]["new_token_ids"]
    stage1 = _stage_dir(built, "wings-tiny", "stage1")
    init_dir = Path(json.loads((stage1 / "train_log.json").read_text())["config"]["model_path"])
    init, s1 = load_file(init_dir / "model.safetensors"), load_file(stage1 / "model.safetensors")
    s2 = load_file(_stage_dir(built, "wings-tiny", "stage2") / "model.safetensors")
    changed = lambda a, b, part: any(not torch.equal(a[k], b[k]) for k in a if part in k)  # noqa: E731
    llm = [k for k in s1 if not any(p in k for p in ("mm_projector", "pool", "reweight", "vision_tower"))]
    assert new_ids and "model.embed_tokens.weight" in llm
    keep = torch.ones(init["model.embed_tokens.weight"].shape[0], dtype=torch.bool)
    keep[new_ids] = False  # only the rows of tokens new in the MLLM data moved: to the mean embedding, before training
    same = lambda k: torch.equal(init[k][keep], s1[k][keep]) if "embed_tokens" in k or "lm_head" in k \
        else torch.equal(init[k], s1[k])  # noqa: E731
    assert [k for k in llm if not same(k)] == []
    rows = s1["model.embed_tokens.weight"][new_ids]
    assert torch.allclose(rows, init["model.embed_tokens.weight"][keep].mean(0).expand_as(rows))
    assert changed(init, s1, "mm_projector") and changed(init, s1, "attn_pool.")
    assert not changed(init, s1, "attn_t_pool") and not changed(init, s1, "vision_tower")
    assert any(not torch.equal(s1[k], s2[k]) for k in llm) and changed(s1, s2, "attn_t_pool")


def test_naive_warmup_trains_only_the_projector(built):
    _, work, _ = built
    log = json.loads((_stage_dir(built, "llava-tiny", "warmup") / "train_log.json").read_text())
    assert list(log["trainable_parameters"]) == ["projector"]
    full = json.loads((_stage_dir(built, "llava-tiny", "full") / "train_log.json").read_text())
    assert set(full["trainable_parameters"]) == {"projector", "llm"}
    assert full["learning_rates"]["llm"] == LLAVA_TINY.stages[1].lr_llm


def test_rebuild_skips_models_whose_card_has_the_same_recipe_hash(built, zoo_root, micro_recipes):
    _, work, _ = built
    logs: list[str] = []
    train_zoo(zoo_root, only=["wings-tiny"], seed=0, recipes=micro_recipes, log=logs.append, work_dir=work)
    assert any("wings-tiny: up to date" in line for line in logs)


def test_both_shipped_recipes_use_the_same_data_and_step_budget():
    assert LLAVA_TINY.data == WINGS_TINY.data == MM_DATA
    assert [s.steps for s in LLAVA_TINY.stages] == [s.steps for s in WINGS_TINY.stages]
    assert LLAVA_TINY.stages[1].lr_llm > 10 * WINGS_TINY.stages[1].lr_llm


def test_sweep_has_twelve_variants_over_the_ablation_axes_within_an_hour():
    variants = sweep_recipes()
    assert len(variants) >= 12 and all(n.startswith("sweep-") for n in variants)
    assert {r.method for r in variants.values()} == {"naive", "wings"}
    trains = {s.train for r in variants.values() for s in r.stages}
    assert ("llm", "projector", "textual_learner", "router") in trains
    assert len({recipe_hash(r) for r in variants.values()}) == len(variants)
    assert estimate_minutes(variants) <= 60


def test_zoo_table_reports_each_models_family_accuracy_from_the_cards():
    text = lambda m: {"suite": "text", "n": 10, "mean": m, "families": {"arith": m, "world": 1.0}}  # noqa: E731
    cards = {"base-tiny": {"seed": 0, "eval": text(0.9)},
             "llava-tiny": {"seed": 0, "eval": {"text": text(0.4), "mm": {"n": 5, "mean": 0.6,
                                                                      "families": {"shape": 0.6}}}},
             "wings-tiny": {"seed": 0, "eval": {"text": text(0.8), "mm": {"n": 5, "mean": 0.5,
                                                                      "families": {"shape": 0.5}}}}}
    table = zoo_table(cards)
    assert "| arith | 90.0 | 40.0 | 80.0 |" in table and "| shape | 60.0 | 50.0 |" in table
    assert "paired" not in table  # no card records a paired comparison


def test_mllm_cards_paired_forgetting_reaches_the_tables():
    from iitbench.zoo.evaluate import paired_vs_base

    def rec(item: str, correct: bool, prediction: int) -> dict:
        return {"id": item, "turn": 0, "scored": True, "status": "ok", "source": "synth.arith", "correct": correct,
                "prediction": prediction}

    base = [rec(f"q{i}", True, 0) for i in range(40)]
    # the MLLM loses 10 of the 40 items the base got right and answers them differently
    mllm = [rec(r["id"], False, 1) if i < 10 else r for i, r in enumerate(base)]
    paired = paired_vs_base(mllm, [*base, rec("extra", True, 0)], n_boot=500)
    assert paired["n"] == 40 and paired["delta"] == -0.25 and paired["agreement"] == 0.75
    assert paired["delta_ci95"][1] < 0 and paired["mcnemar_p"] < 0.01
    text = {"suite": "text", "n": 40, "mean": 0.75, "families": {"arith": 0.75}}
    cards = {"base-tiny": {"seed": 0, "eval": {**text, "mean": 1.0}},
             "llava-tiny": {"seed": 0, "eval": {"text": text, "text_vs_base": paired}},
             "sweep-naive-long": {"seed": 0, "method": "naive", "eval": {"text": text, "text_vs_base": paired}}}
    table = zoo_table(cards)
    lo, hi = (100 * x for x in paired["delta_ci95"])
    cell = f"-25.0 [{lo:+.1f}, {hi:+.1f}], p={paired['mcnemar_p']:.2g}"
    assert f"| paired Δ vs base-tiny [95% CI], McNemar p | – | {cell} |" in table
    assert f"| sweep-naive-long | naive |  | – | 75.0 | {cell} | – |" in table


def test_a_sweep_variant_sharing_wings_stage1_reuses_it_and_gets_its_own_card(built, zoo_root, micro_recipes):
    _, work, _ = built
    s1, s2 = micro_recipes["wings-tiny"].stages
    variant = replace(micro_recipes["wings-tiny"], name="sweep-wings-uniform-low",
                      stages=(s1, replace(s2, lr_llm=1e-4)))
    logs: list[str] = []
    out = train_zoo(zoo_root, only=["sweep-wings-uniform-low"], seed=0, sweep=True,
                    recipes={**micro_recipes, variant.name: variant}, log=logs.append, work_dir=work, evaluate=False)
    assert any("sweep-wings-uniform-low: stage1" in line and "reused" in line for line in logs)
    assert any("sweep-wings-uniform-low: stage2" in line and "reused" not in line for line in logs)
    card = json.loads((out[variant.name] / CARD_FILE).read_text())
    assert card["recipe_hash"] == recipe_hash(variant) and card["stages"][1]["learning_rates"]["llm"] == 1e-4


def test_same_seed_gives_the_same_wings_weights(zoo_root, micro_recipes, tmp_path):
    recipe = replace(micro_recipes["wings-tiny"], name="sweep-wings-short")
    weights = []
    for run in ("a", "b"):
        out = train_zoo(zoo_root, only=[recipe.name], seed=0, sweep=True, recipes={**micro_recipes, recipe.name: recipe},
                        log=None, work_dir=tmp_path / run, evaluate=False, force=True)
        weights.append((out[recipe.name] / "model.safetensors").read_bytes())
    assert weights[0] == weights[1]


def test_new_token_scan_uses_the_corpus_recorded_in_base_tinys_card(zoo_root):
    from iitbench.zoo.mllm import base_corpus_recipe
    from iitbench.zoo.recipes import LLMRecipe

    assert base_corpus_recipe(zoo_root / "base-tiny", LLMRecipe(), seed=5) == base_llm.micro_recipe()
    assert base_corpus_recipe(zoo_root / "missing", LLMRecipe(), seed=5).corpus.seed == 5


def test_leaderboard_lists_other_training_seeds_of_the_headline_mllms(tmp_path):
    from iitbench.zoo.leaderboard import write_leaderboard

    def card(name: str, seed: int, mean: float) -> dict:
        text = {"suite": "text", "n": 10, "mean": mean, "families": {"arith": mean}}
        return {"name": name, "seed": seed, "eval": {"text": text, "mm": {"n": 5, "mean": 0.5, "families": {}}}}

    for root, seed, mean in ((tmp_path / "shipped", 0, 0.4), (tmp_path / "seed1", 1, 0.3)):
        (root / "llava-tiny").mkdir(parents=True)
        (root / "llava-tiny" / CARD_FILE).write_text(json.dumps(card("llava-tiny", seed, mean)))
    table = write_leaderboard(tmp_path / "zoo.md", tmp_path / "shipped", tmp_path / "seed1").read_text()
    assert "Build seed(s): 0, 1." in table and "## Training seeds" in table
    assert "| llava-tiny | 0 | 40.0 |" in table and "| llava-tiny | 1 | 30.0 |" in table
    assert "| arith | 40.0 |" in table  # the main tables keep the first (shipped) card


def test_a_family_model_builds_on_its_own_base_with_its_own_seed_and_llm_parts(zoo_root, micro_recipes, tmp_path):
    """The deep family's plumbing at micro size: an MLLM on a base named other than base-tiny, a fixed seed and an
    attention-only LLM fine-tune."""
    import shutil

    shutil.copytree(zoo_root / "base-tiny", zoo_root / "base-other", dirs_exist_ok=True)
    naive = micro_recipes["llava-tiny"]
    warm, full = naive.stages
    recipe = replace(naive, name="other-naive-attention", base="base-other", seed=3,
                     stages=(warm, replace(full, train=("projector", "llm_attention"))))
    recipes = {**micro_recipes, "base-other": replace(micro_recipes["base-tiny"], name="base-other"),
               recipe.name: recipe}
    out = train_zoo(zoo_root, only=[recipe.name], recipes=recipes, family="deep", log=None, work_dir=tmp_path,
                    evaluate=False)
    card = json.loads((out[recipe.name] / CARD_FILE).read_text())
    assert card["seed"] == 3 and card["base"] == "base-other" and "base-other" in card["upstream"]
    assert set(card["stages"][1]["trainable_parameters"]) == {"projector", "llm_attention"}
    config = json.loads((out[recipe.name] / "config.json").read_text())
    assert config["text_config"]["_name_or_path"] == "base-other" and config["answer_format"] == "text"
