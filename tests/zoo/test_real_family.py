"""The real-LLM family (iitbench/zoo/real.py): its recipes, and the whole build path on a tiny random Llama base (a
micro naive and WINGS recipe + a merge, a few steps each): cards, shared stage 1, resume after a kill, mid-stage
resume from the last complete checkpoint."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from iitbench.errors import DataError, UserError
from iitbench.zoo import CARD_FILE
from iitbench.zoo.real import (
    HIGH_LLM_LR,
    LOW_LLM_LR,
    MergeRecipe,
    RealBase,
    RealRecipe,
    estimate_minutes,
    real_recipes,
)
from iitbench.zoo.recipes import recipe_hash
from iitbench.zoo.train import selected, train_zoo
from tests.wings_ref.train.test_train_resume import StopAfter

BASE_NAME = "tiny-llama"


def test_the_family_has_the_issues_recipes_with_a_shared_stage_1():
    family = real_recipes()
    mllms = {n: r for n, r in family.items() if isinstance(r, RealRecipe)}
    assert {"real-naive", "real-naive-s1", "real-naive-low-lr", "real-wings", "real-wings-s1",
            "real-naive-attention-only", "real-naive-replay-25"} <= set(mllms)
    assert len({r.stage1 for r in mllms.values()}) == 1 and len({r.stage1_data for r in mllms.values()}) == 1
    assert mllms["real-naive"].stage2.lr_llm == HIGH_LLM_LR and mllms["real-naive"].stage2.train is None
    assert mllms["real-naive-low-lr"].stage2.lr_llm == mllms["real-wings"].stage2.lr_llm == LOW_LLM_LR < HIGH_LLM_LR
    assert mllms["real-wings"].use_learners and not mllms["real-naive"].use_learners
    assert mllms["real-naive-attention-only"].stage2.train == ("projector", "llm_attention")
    assert mllms["real-naive-replay-25"].data.n_text_per_family > 0 == mllms["real-naive"].data.n_text_per_family
    assert (mllms["real-naive-s1"].seed, mllms["real-wings-s1"].seed, mllms["real-naive"].seed) == (1, 1, None)
    assert len({recipe_hash(r) for r in family.values()}) == len(family)
    merges = [r for r in family.values() if isinstance(r, MergeRecipe)]
    assert sorted(m.alpha for m in merges) == [0.0, 0.25, 0.5, 0.75]
    assert {m.source for m in merges} == {"real-naive-high-lr"}
    assert list(family).index("real-naive-high-lr") < min(list(family).index(m.name) for m in merges)  # source first


def test_the_step_budget_fits_one_and_a_half_hours_on_two_idle_cores():
    est = estimate_minutes()
    assert 75 <= est["wall_minutes"] <= 95, est


def test_selection_names_only_real_members():
    assert selected(["real-wings"], False, "real") == ["real-wings"]
    with pytest.raises(UserError, match=r"not in the family; its names are in iitbench/zoo/real.py"):
        selected(["deep-naive"], False, "real")


def test_an_unknown_member_is_refused_in_one_line_by_the_cli(tmp_path, capsys, monkeypatch):
    from iitbench.cli.main import main as iitbench
    from tests.cli.bad_inputs import check_refused

    def case(tmp):
        args = ["zoo", "build", "--family", "real", "--only", "real-nope", "--out", str(tmp / "real")]
        return lambda: iitbench(args), [tmp / "real" / "real-nope"], "real-nope"

    check_refused(case, tmp_path, capsys, monkeypatch)


def _tiny_llama(out: Path) -> Path:
    """A random 2-layer Llama with the zoo tokenizer (ChatML specials and an <image> token)."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from iitbench.zoo import WEIGHTS_DIR

    tok = AutoTokenizer.from_pretrained(str(WEIGHTS_DIR / "tokenizer"))
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=1024,
                         tie_word_embeddings=True, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                         bos_token_id=None)
    LlamaForCausalLM(config).save_pretrained(out)
    tok.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    from tests.zoo.test_zoo_mllm import _micro_vision

    root = tmp_path_factory.mktemp("real")
    _tiny_llama(root / BASE_NAME)
    _micro_vision(root / "siglip-tiny")
    return root


@pytest.fixture(scope="module")
def family():
    from iitbench.zoo.real_build import micro_family

    return micro_family(BASE_NAME)


@pytest.fixture(scope="module")
def built(root, family, tmp_path_factory):
    work = tmp_path_factory.mktemp("work")
    logs: list[str] = []
    out = train_zoo(root, only=list(family), seed=0, recipes=family, log=logs.append, work_dir=work, family="real")
    return out, work, logs


def _card(path: Path) -> dict:
    return json.loads((path / CARD_FILE).read_text())


def test_micro_members_build_loadable_models_with_cards_and_one_stage_1(built, family):
    out, work, logs = built
    naive, wings = _card(out["micro-naive"]), _card(out["micro-wings"])
    for name, card in (("micro-naive", naive), ("micro-wings", wings)):
        assert card["recipe_hash"] == recipe_hash(family[name]) and card["upstream"]["base"]["name"] == BASE_NAME
        assert {"text", "mm", "text_vs_base"} <= set(card["eval"]) and card["eval"]["mm"]["n"] == 4
        assert [s["name"] for s in card["stages"]] == ["stage1", "stage2"]
    assert naive["stages"][0]["work_key"] == wings["stages"][0]["work_key"]  # stage 1 trained once, shared
    assert wings["stages"][0]["reused"] and not naive["stages"][0]["reused"]
    assert naive["stages"][0]["trainable_parameters"] == {"projector": naive["stages"][0]["trainable_parameters"]
                                                          ["projector"]}
    assert set(wings["stages"][1]["trainable_parameters"]) == {"projector", "visual_learner", "textual_learner",
                                                               "router", "llm"}
    config = json.loads((out["micro-wings"] / "config.json").read_text())
    assert config["answer_format"] == "text" and config["use_learners"] and config["text_config"]["model_type"] == \
        "llama" and config["text_config"]["_name_or_path"] == BASE_NAME
    processor = json.loads((out["micro-wings"] / "processor_config.json").read_text())
    assert processor["system_prompt"] == family["micro-wings"].base.system_prompt
    merge = _card(out["micro-naive-merge-050"])
    assert merge["merge"]["alpha"] == 0.5 and merge["upstream"]["source_recipe_hash"] == naive["recipe_hash"]


def test_stage_2_trains_with_bf16_autocast_the_answer_head_and_the_bases_system_turn(built):
    out, work, _ = built
    key = _card(out["micro-naive"])["stages"][1]["work_key"]
    config = json.loads((work / "real" / "stages" / key / "train_log.json").read_text())["config"]
    assert config["bf16"] and config["answer_logits_only"] and config["system_prompt"] == "You are a helpful assistant."
    assert config["save_steps"] == 2 and config["resume_from_checkpoint"] == "auto"
    assert not list((work / "real" / "stages" / key).glob("checkpoint-*"))  # dropped once the stage finished


def test_a_killed_build_resumes_from_the_last_finished_model(built, root, family):
    out, work, _ = built
    (out["micro-wings"] / CARD_FILE).unlink()  # killed while micro-wings was being built
    stamp = (out["micro-naive"] / "model.safetensors").stat().st_mtime_ns
    logs: list[str] = []
    train_zoo(root, only=list(family), seed=0, recipes=family, log=logs.append, work_dir=work, family="real")
    assert any("micro-naive: up to date" in line for line in logs)
    assert any("micro-wings: stage1" in line and "reused" in line for line in logs)
    assert any("micro-wings: stage2" in line and "reused" in line for line in logs)  # its finished stages too
    assert (out["micro-naive"] / "model.safetensors").stat().st_mtime_ns == stamp
    assert (out["micro-wings"] / CARD_FILE).is_file()


def test_a_stage_killed_mid_way_resumes_from_its_last_complete_checkpoint(built, family, tmp_path):
    from iitbench.zoo.real_build import _data, run_stage, stage_config
    from wings_ref.train import build_run

    out, work, _ = built
    recipe = family["micro-naive"]
    stage = replace(recipe.stage2, steps=4)
    start = work / "real" / "stages" / _card(out["micro-naive"])["stages"][0]["work_key"]
    data = _data(work / "real", recipe.data, 0)
    configs = [stage_config(recipe, stage, start, data.mix, data.mix.parent, tmp_path / name, 0) for name in "ab"]
    run_stage(configs[0], print)
    build_run(configs[1], callbacks=[StopAfter(2)]).trainer.train()  # the kill: after checkpoint-2
    (tmp_path / "b" / "checkpoint-3").mkdir()  # ... and during the save of checkpoint-3
    (tmp_path / "b" / "checkpoint-3" / "model.safetensors").write_bytes(b"half")
    log, _, reused = run_stage(configs[1], print)
    assert not reused and log["resumed_from"].endswith("checkpoint-2") and log["global_step"] == 4
    a, b = (load_file(str(tmp_path / n / "model.safetensors")) for n in "ab")
    for name in a:
        torch.testing.assert_close(b[name], a[name], rtol=0, atol=1e-6, msg=name)
    assert run_stage(configs[1], print)[2]  # finished: reused


def test_an_image_token_the_base_lacks_is_refused_in_one_line(root):
    from iitbench.zoo.real_assemble import image_token_id, load_base_tokenizer, resolve_base

    base = resolve_base(RealBase(name=BASE_NAME, image_token="<no such token>"), root)
    with pytest.raises(DataError, match=r"image token '<no such token>' is not one token"):
        image_token_id(load_base_tokenizer(base), base)


def test_a_missing_base_folder_is_refused_in_one_line(tmp_path, family):
    shutil.rmtree(tmp_path, ignore_errors=True)
    from iitbench.zoo.real_assemble import resolve_base

    with pytest.raises(UserError, match="base LLM tiny-llama: no config.json"):
        resolve_base(family["micro-naive"].base, tmp_path)
