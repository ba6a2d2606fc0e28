"""Text sources: MMLU, CMMLU, OpenBookQA, HellaSwag read from fixture parquet files with the published schemas."""

from __future__ import annotations

from iitbench.data.types import TextPart
from iitbench.sources.hf import load_source, load_source_report
from tests.sources.hf.hf_fixtures import hf_data  # noqa: F401  (session fixture)


def test_mmlu_classlabel_answers_become_gold_indices(hf_data):
    rep = load_source_report("mmlu", data_dir=hf_data["mmlu"])
    ids = [q.id for q in rep.questions]
    # all/ is ignored in favour of the subject folders, so nothing is read twice.
    assert ids == ["mmlu/abstract_algebra/test/0", "mmlu/abstract_algebra/test/2", "mmlu/anatomy/test/0"]
    q = rep.questions[0]
    assert q.choices == ("1", "2", "3", "4") and q.answer == 3 and q.subject == "abstract_algebra"
    assert q.parts == (TextPart("Find the order of Z_4."),) and q.kind == "T" and q.split == "test"
    assert rep.questions[2].choices[rep.questions[2].answer] == "humerus"
    assert rep.skipped == {"empty choice": 1} and rep.rows_read == 4


def test_mmlu_flat_all_config_gives_same_ids_as_subject_folders(hf_data):
    per_subject = load_source("mmlu", data_dir=hf_data["mmlu"])
    flat = load_source("mmlu", data_dir=hf_data["mmlu"] / "all")
    assert flat == per_subject
    only = load_source("mmlu", data_dir=hf_data["mmlu"] / "all", subjects=["anatomy"])
    assert [q.id for q in only] == ["mmlu/anatomy/test/0"]


def test_cmmlu_letter_answers_and_capital_columns(hf_data):
    rep = load_source_report("cmmlu", data_dir=hf_data["cmmlu"], subjects=["agronomy"])
    assert [q.id for q in rep.questions] == ["cmmlu/agronomy/test/0", "cmmlu/agronomy/test/2"]
    assert rep.questions[1].text == "小麦是？" and rep.questions[1].answer == 2
    assert rep.questions[1].choices == ("蔬菜", "水果", "粮食", "花卉")
    assert rep.skipped == {"answer not among the options": 1}
    both = load_source("cmmlu", data_dir=hf_data["cmmlu"])
    assert [q.subject for q in both] == ["agronomy", "agronomy", "anatomy"]


def test_openbookqa_uses_label_index_of_stripped_answer_key(hf_data):
    rep = load_source_report("openbookqa", data_dir=hf_data["openbookqa"])
    assert [q.id for q in rep.questions] == ["openbookqa/7-980", "openbookqa/7-584"]  # main/ only
    assert [q.answer for q in rep.questions] == [1, 3]  # " D" -> 3
    assert rep.questions[0].choices[1] == "plants sprouting"
    assert rep.skipped == {"answer not among the options": 1}


def test_hellaswag_query_is_cleaned_and_label_cast_to_int(hf_data):
    qs = load_source("hellaswag", data_dir=hf_data["hellaswag"])
    # ids are row positions: HellaSwag's `ind` repeats within its validation split
    assert [q.id for q in qs] == ["hellaswag/validation/0", "hellaswag/validation/1"]
    assert qs[0].text == "Roof shingle removal: A man is sitting on a roof. He" and qs[0].answer == 3
    assert "[" not in qs[1].text and "[" not in "".join(qs[1].choices)
    assert qs[1].text == "Home and Garden: How to clean a grill. Heat it. Then scrub"
    assert qs[1].choices[0] == "Use a brush." and qs[1].answer == 0


def test_hellaswag_test_rows_without_label_are_skipped_and_counted(hf_data):
    rep = load_source_report("hellaswag", split="test", data_dir=hf_data["hellaswag"])
    assert rep.questions == () and rep.skipped == {"no label": 1}
