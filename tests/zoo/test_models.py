import json

import torch
from transformers import AutoModelForCausalLM

from iitbench.sources.synth.render import Scene, Shape, Text
from iitbench.zoo import CARD_FILE, base_llm, vision
from iitbench.zoo.recipes import LLMRecipe, VisionRecipe, recipe_hash
from iitbench.zoo.tokenizer import save_tokenizer
from iitbench.zoo.train import make_base


def test_recipe_hash_is_stable_and_changes_with_a_field():
    assert recipe_hash(LLMRecipe()) == recipe_hash(LLMRecipe())
    assert recipe_hash(LLMRecipe()) != recipe_hash(LLMRecipe(steps=LLMRecipe().steps + 1))
    assert recipe_hash(VisionRecipe()) != recipe_hash(LLMRecipe())


def test_scene_labels_name_the_biggest_shape_and_the_text():
    scene = Scene(shapes=(Shape("circle", "red", 20, 48, 8), Shape("star", "blue", 76, 48, 12)),
                  texts=(Text("cat", "black", 48, 48, 20),))
    labels = vision.scene_labels(scene)
    assert vision.ATTRIBUTES["shape"][labels["shape"]] == "star"
    assert vision.ATTRIBUTES["colour"][labels["colour"]] == "blue"
    assert vision.ATTRIBUTES["position"][labels["position"]] == "right"
    assert vision.ATTRIBUTES["count"][labels["count"]] == "2"
    assert vision.ATTRIBUTES["text"][labels["text"]] == "cat"


def test_vision_pretraining_steps_change_the_encoder_and_save_safetensors(tmp_path):
    recipe = vision.micro_recipe()
    data = vision.load_images("train", recipe.n_per_family, 0, recipe.image_size)
    torch.manual_seed(0)
    before = {k: v.clone() for k, v in vision.make_encoder(recipe).state_dict().items()}
    result = vision.train_vision(recipe, seed=0, data=data, log=None)
    after = result.probe.encoder.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)
    acc = vision.attribute_accuracy(result.probe, data)
    assert set(acc) == set(vision.ATTRIBUTES)
    vision.save_encoder(result.probe, tmp_path)
    assert (tmp_path / "model.safetensors").is_file() and (tmp_path / "config.json").is_file()


def test_three_step_base_llm_saves_a_loadable_model_with_a_card(micro_tokenizer, tmp_path):
    save_tokenizer(micro_tokenizer, tmp_path / "tok")
    recipe = base_llm.micro_recipe()
    out = make_base(tmp_path / "base", recipe, 0, tmp_path / "tok", log=None, evaluate=False)
    card = json.loads((out / CARD_FILE).read_text())
    assert card["name"] == "base-tiny" and card["seed"] == 0 and len(card["recipe_hash"]) == 64
    assert card["recipe"]["steps"] == 3 and card["parameters"] > 0 and card["data"]["sequences"] > 0
    assert (out / "model.safetensors").is_file() and not (out / "_trainer").exists()
    model = AutoModelForCausalLM.from_pretrained(out)
    logits = model(torch.tensor([[1, 5, 7]])).logits
    assert logits.shape == (1, 3, len(micro_tokenizer))


def test_packing_keeps_documents_whole_and_masks_padding(micro_tokenizer, micro_corpus):
    docs = base_llm.corpus_docs(micro_tokenizer, micro_corpus, "answer")
    pad = 10**6  # a marker id no document contains
    rows = base_llm.pack(docs, 256, pad)
    real = sum(int((r["input_ids"] != pad).sum()) for r in rows)
    assert real == sum(len(d.ids) for d in docs)
    assert all(((r["input_ids"] == pad) <= (r["labels"] == -100)).all() for r in rows)
    assert rows[0]["input_ids"][:len(docs[0].ids)].tolist() == list(docs[0].ids)
    assert all(r["input_ids"].shape == (256,) for r in rows)
