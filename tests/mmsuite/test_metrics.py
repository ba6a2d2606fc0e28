"""The benchmarks' metrics equal values computed by hand, through the whole pipeline (build the fixture, run a model
that answers from a table, read results.json), in scoring and in generation mode, including the grouping edge cases:
an MME image with one question, HallusionBench's VS figure 0, MMBench's circular groups."""

from __future__ import annotations

import pytest

from iitbench import api
from iitbench.data.manifest import load_dataset_dir
from iitbench.mmsuite.metrics import hallusionbench, mme, parse_yes_anywhere, parse_yes_no, read_reply
from tests.mmsuite.table_adapter import TableAdapter

YES, NO = 0, 1
# Each fixture question: the option the table picks (gold in the comment; fixtures in tests/mmsuite/mm_fixtures.py).
MME_PICKS = {
    "mme/existence/000000006040.jpg#0": YES,  # gold Yes: right
    "mme/existence/000000006040.jpg#1": NO,  # gold No: right  -> image right
    "mme/existence/000000018150.jpg#0": NO,  # gold No: right
    "mme/existence/000000018150.jpg#1": NO,  # gold Yes: wrong -> image wrong
    "mme/code_reasoning/0020.png#0": YES,  # gold Yes: right
    "mme/code_reasoning/0020.png#1": NO,  # gold No: right   -> image right
    "mme/code_reasoning/0021.png#0": YES,  # gold Yes: right (its image has no second question)
}
# existence: acc 3/4 = 75, acc+ 1/2 = 50 -> 125; code_reasoning: acc 3/3 = 100, acc+ 1/1 = 100 -> 200
MME_EXPECTED = {"perception": 125.0, "cognition": 200.0, "incomplete_images": 1}

HALLUSION_PICKS = {
    "hallusionbench/VD_figure_0_1_0": YES,  # gold yes: right
    "hallusionbench/VD_figure_0_1_1": NO,  # gold no: right   -> figure 1 right
    "hallusionbench/VD_figure_0_2_0": NO,  # gold no: right
    "hallusionbench/VD_figure_0_2_1": NO,  # gold yes: wrong  -> figure 2 wrong; question 1 wrong
    "hallusionbench/VS_chart_1_0_0": NO,  # gold yes: wrong  (VS figure 0: not a figure; question 0 of set 1 wrong)
    "hallusionbench/VS_chart_1_1_0": NO,  # gold no: right   -> figure 1 of set 1 right
}
# aAcc 4/6; fAcc: VD figures 1 (right), 2 (wrong), VS figure 1 (right), VS figure 0 left out -> 2/3;
# qAcc: VD q0 (right on both figures), VD q1 (wrong on figure 2), VS q0 (wrong without figure) -> 1/3
HALLUSION_EXPECTED = {"aAcc": 66.6667, "fAcc": 66.6667, "qAcc": 33.3333, "n": 6, "n_figures": 3,
                      "n_question_groups": 3}


def _bench(run) -> dict:
    return run.metrics["benchmark"]


def _run(built, tmp_path, name, picks, replies=None, **kw):
    return api.evaluate(TableAdapter(picks, replies), built[name], output=tmp_path / name, progress=False, **kw)


def test_mme_scores_equal_the_hand_computed_values(mm_built, tmp_path):
    bench = _bench(_run(mm_built, tmp_path, "mme", MME_PICKS))
    assert bench["name"] == "mme"
    assert {k: bench[k] for k in MME_EXPECTED} == MME_EXPECTED
    assert bench["per_category"]["existence"] == {"acc": 75.0, "acc_plus": 50.0, "score": 125.0, "n_questions": 4,
                                                  "n_images": 2}
    assert bench["per_category"]["code_reasoning"]["acc"] == 100.0
    assert "OCR" in bench["missing_categories"] and "existence" not in bench["missing_categories"]


def test_hallusionbench_scores_equal_the_hand_computed_values(mm_built, tmp_path):
    bench = _bench(_run(mm_built, tmp_path, "hallusionbench", HALLUSION_PICKS))
    assert {k: bench[k] for k in HALLUSION_EXPECTED} == HALLUSION_EXPECTED


def test_vs_figure_0_is_left_out_of_fAcc_but_kept_in_aAcc_and_qAcc():
    meta = {"x0": {"category": "VS", "subcategory": "c", "set_id": "1", "figure_id": "0", "question_id": "0"},
            "x1": {"category": "VS", "subcategory": "c", "set_id": "1", "figure_id": "1", "question_id": "0"}}
    records = [{"id": "x0", "status": "ok", "correct": False}, {"id": "x1", "status": "ok", "correct": True}]
    out = hallusionbench(records, meta)
    assert (out["aAcc"], out["fAcc"], out["qAcc"], out["n_figures"]) == (50.0, 100.0, 0.0, 1)
    # the same rows as VD: figure 0 is a real figure and counts
    vd = {k: {**m, "category": "VD"} for k, m in meta.items()}
    assert hallusionbench(records, vd)["fAcc"] == 50.0


def test_mme_n_a_records_count_wrong_and_a_lone_question_is_not_an_image_pair():
    meta = {"a": {"category": "OCR", "image_id": "i"}, "b": {"category": "OCR", "image_id": "i"},
            "c": {"category": "OCR", "image_id": "j"}}
    records = [{"id": "a", "status": "ok", "correct": True}, {"id": "b", "status": "n/a", "correct": None},
               {"id": "c", "status": "ok", "correct": True}]
    out = mme(records, meta)
    assert out["per_category"]["OCR"]["acc"] == pytest.approx(66.6667)
    assert out["per_category"]["OCR"]["acc_plus"] == 0.0 and out["incomplete_images"] == 1
    assert out["perception"] == pytest.approx(66.6667) and out["cognition"] == 0.0


def test_scienceqa_accuracy(mm_built, tmp_path):
    # gold: test/0 -> 0, test/1 -> 1, test/3 -> 2
    picks = {"scienceqa-img/test/0": 0, "scienceqa-img/test/1": 0, "scienceqa-img/test/3": 2}
    bench = _bench(_run(mm_built, tmp_path, "scienceqa-img", picks))
    assert (bench["accuracy"], bench["n"]) == (66.6667, 3)


def test_mmbench_circular_counts_an_item_only_when_every_rotation_is_right(mm_built, tmp_path):
    ds = load_dataset_dir(mm_built["mmbench-cn-circular"])
    ids = [it.id for it in ds.items]
    assert len(ids) == 4 + 3 + 2  # one copy per option (4, 3 and 2 options)
    gold = {it.id: it.turns[0].answer for it in ds.items}
    picks = dict(gold)
    picks["mmbench-cn/dev/1@r2"] = (gold["mmbench-cn/dev/1@r2"] + 1) % 3  # one rotation of item 1 wrong
    bench = _bench(_run(mm_built, tmp_path, "mmbench-cn-circular", picks))
    assert bench["accuracy"] == pytest.approx(100 * 8 / 9, abs=1e-4)
    assert (bench["circular_accuracy"], bench["n_circular_groups"]) == (66.6667, 3)
    # the text of every rotation's gold option is the original gold text
    texts = {it.id: it.turns[0].choices[it.turns[0].answer] for it in ds.items}
    assert texts["mmbench-cn/dev/0"] == texts["mmbench-cn/dev/0@r1"] == texts["mmbench-cn/dev/0@r3"] == "红"


@pytest.mark.parametrize("text,expected", [
    ("Yes", YES), ("no.", NO), ("  YES  ", YES), ("y", YES), ("n", NO), ("x", None), ("Yes, there is a train.", YES),
    ("Nope", NO), ("Not at all", NO), ("The answer is yes", None), ("", None)])
def test_mme_reading_rule_is_lmms_evals(text, expected):
    assert parse_yes_no(text) == expected


@pytest.mark.parametrize("text,expected", [("Yes", YES), ("I would say yes.", YES), ("No", NO), ("Maybe", NO),
                                           ("Eyes are shown", YES)])
def test_hallusionbench_rule_reads_yes_anywhere(text, expected):
    assert parse_yes_anywhere(text) == expected


def test_a_bare_letter_reply_names_an_option_under_both_rules():
    assert read_reply("A", "yes-no") == YES and read_reply("(B)", "yes-anywhere") == NO
    assert read_reply("N", "yes-no") == NO  # not a letter among two options: read as the word
    with pytest.raises(ValueError):
        read_reply("yes", "judge")


def test_generation_mode_reads_replies_with_each_benchmarks_rule(mm_built, tmp_path):
    replies = {
        "mme/existence/000000006040.jpg#0": "Yes.",  # right
        "mme/existence/000000006040.jpg#1": "No, there is no bed.",  # right
        "mme/existence/000000018150.jpg#0": "Nope",  # gold No: right ("no" in the first 4 characters)
        "mme/existence/000000018150.jpg#1": "I think so",  # gold Yes: unreadable -> wrong (lmms-eval's "other")
        "mme/code_reasoning/0020.png#0": "y",  # right
        "mme/code_reasoning/0020.png#1": "No",  # right
        "mme/code_reasoning/0021.png#0": "yes",  # right
    }
    # the scores point the other way everywhere: the benchmark metric must not fall back to them
    wrong_scores = {k: 1 - YES if v.lower().startswith("y") else YES for k, v in replies.items()}
    run = _run(mm_built, tmp_path, "mme", wrong_scores, replies, mode="free-running", free_running_source="generate")
    bench = _bench(run)
    assert {k: bench[k] for k in MME_EXPECTED} == MME_EXPECTED
    assert bench["generation"] == {"answer_rule": "yes-no", "unreadable": 1}
    records = {r["id"]: r for r in run.samples()}
    assert records["mme/existence/000000018150.jpg#1"]["response"] == "I think so"

    h_replies = {
        "hallusionbench/VD_figure_0_1_0": "Yes, it is longer.",  # right
        "hallusionbench/VD_figure_0_1_1": "They are not equal.",  # no "yes": no, right
        "hallusionbench/VD_figure_0_2_0": "No.",  # right
        "hallusionbench/VD_figure_0_2_1": "I cannot tell.",  # no "yes": no, gold yes -> wrong
        "hallusionbench/VS_chart_1_0_0": "no",  # wrong
        "hallusionbench/VS_chart_1_1_0": "No, it was lower.",  # right
    }
    h_run = _run(mm_built, tmp_path, "hallusionbench", {k: YES for k in h_replies}, h_replies,
                 mode="free-running", free_running_source="generate")
    assert {k: _bench(h_run)[k] for k in HALLUSION_EXPECTED} == HALLUSION_EXPECTED
    assert _bench(h_run)["generation"]["answer_rule"] == "yes-anywhere"


def test_scores_do_not_depend_on_batch_size(mm_built, tmp_path):
    one = _bench(api.evaluate(TableAdapter(MME_PICKS), mm_built["mme"], output=tmp_path / "b1", batch_size=1,
                              progress=False))
    many = _bench(api.evaluate(TableAdapter(MME_PICKS), mm_built["mme"], output=tmp_path / "b7", batch_size=7,
                               progress=False))
    assert one == many
