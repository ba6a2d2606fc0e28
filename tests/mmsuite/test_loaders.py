"""Each benchmark loader reads its fixture in the Hub layout and as VLMEvalKit's TSV, gives the same questions both
ways, and reports the rows it skipped with the reason."""

from __future__ import annotations

import pytest

from iitbench.data.types import ImageBlob
from iitbench.errors import UserError
from iitbench.mmsuite import loaders
from iitbench.mmsuite.loaders import load_benchmark
from tests.mmsuite.mm_fixtures import HALLUSION_IDS, MME_IDS
from tests.sources.hf.hf_fixtures import image_bytes


def _same(a, b, ignore=()):
    """Same ids, texts, choices, answers, meta (but `ignore`d fields) and image bytes."""
    assert [q.id for q in a] == [q.id for q in b]
    for x, y in zip(a, b):
        mx, my = ({k: v for k, v in dict(q.meta).items() if k not in ignore} for q in (x, y))
        assert (x.text, x.choices, x.answer, mx) == (y.text, y.choices, y.answer, my)
        assert [p.data for p in x.parts if isinstance(p, ImageBlob)] == [p.data for p in y.parts
                                                                          if isinstance(p, ImageBlob)]


def test_mme_hub_shards_and_tsv_give_the_same_questions_with_image_grouping(mm_data):
    hub, tsv = load_benchmark("mme", mm_data["mme"]), load_benchmark("mme", mm_data["mme_tsv"])
    assert [q.id for q in hub.questions] == MME_IDS
    assert hub.skipped == tsv.skipped == {"answer not yes/no": 1} and hub.rows_read == tsv.rows_read == 8
    _same(hub.questions, tsv.questions)
    q = {q.id: q for q in hub.questions}
    first, second = q["mme/existence/000000018150.jpg#0"], q["mme/existence/000000018150.jpg#1"]
    assert first.choices == ("Yes", "No") and (first.answer, second.answer) == (1, 0)
    assert dict(first.meta)["image_id"] == dict(second.meta)["image_id"] == "existence/000000018150.jpg"
    assert dict(first.meta)["category"] == "existence" and first.parts[0].data == image_bytes(2)
    # the TSV's second question names the first row's index: resolved to the same bytes
    assert {q.id: q for q in tsv.questions}["mme/existence/000000018150.jpg#1"].parts[0].data == image_bytes(2)


def test_hallusionbench_hub_and_tsv_ids_agree_and_the_no_figure_row_is_text_only(mm_data):
    hub = load_benchmark("hallusionbench", mm_data["hallusionbench"])
    tsv = load_benchmark("hallusionbench", mm_data["hallusionbench_tsv"])
    assert [q.id for q in hub.questions] == HALLUSION_IDS and hub.skipped == {}
    assert tsv.skipped == {"no set/figure/question ids": 1}
    assert [q.id for q in tsv.questions] == HALLUSION_IDS
    assert [q.answer for q in hub.questions] == [q.answer for q in tsv.questions] == [0, 1, 1, 0, 0, 1]
    no_figure = {q.id: q for q in hub.questions}["hallusionbench/VS_chart_1_0_0"]
    assert not any(isinstance(p, ImageBlob) for p in no_figure.parts)
    m = dict(no_figure.meta)
    assert (m["category"], m["subcategory"], m["set_id"], m["figure_id"], m["question_id"]) == ("VS", "chart", "1",
                                                                                                  "0", "0")


def test_scienceqa_img_skips_questions_without_an_image_and_keeps_row_ids(mm_data):
    hub = load_benchmark("scienceqa-img", mm_data["scienceqa-img"])
    tsv = load_benchmark("scienceqa-img", mm_data["scienceqa-img_tsv"])
    for report in (hub, tsv):
        assert report.skipped == {"no image (not an IMG question)": 1} and report.rows_read == 4
    _same(hub.questions, tsv.questions, ignore=("grade",))  # VLMEvalKit's TSV has no grade column
    q = {q.id: q for q in hub.questions}
    assert sorted(q) == ["scienceqa-img/test/0", "scienceqa-img/test/1", "scienceqa-img/test/3"]
    assert q["scienceqa-img/test/1"].text.startswith("Context: Snowy owls are predators.\n")
    assert q["scienceqa-img/test/3"].choices == ("Salt Lake City", "Provo", "Ogden") and q["scienceqa-img/test/3"].answer == 2


def test_mmbench_cn_hub_and_tsv_give_the_same_ids_and_skip_circular_copies(mm_data):
    hub, tsv = load_benchmark("mmbench-cn", mm_data["mmbench-cn"]), load_benchmark("mmbench-cn", mm_data["mmbench-cn_tsv"])
    assert [q.id for q in hub.questions] == ["mmbench-cn/dev/0", "mmbench-cn/dev/1", "mmbench-cn/dev/2"]
    assert hub.skipped == tsv.skipped == {"circular copy": 1}
    _same(hub.questions, tsv.questions)
    assert {q.id: q for q in hub.questions}["mmbench-cn/dev/1"].text == "数一数。\n有几个？"


def test_hub_ids_are_tried_under_lmms_lab_then_lmms_lab_encoder(monkeypatch):
    tried = []

    def fake_load_rows(spec, req):
        tried.append(spec.hub_id)
        raise UserError("offline")

    monkeypatch.setattr(loaders, "load_rows", fake_load_rows)
    with pytest.raises(UserError, match=r"lmms-lab/MME or lmms-lab-encoder/MME .*data dir"):
        load_benchmark("mme")
    assert tried == ["lmms-lab/MME", "lmms-lab-encoder/MME"]
    tried.clear()
    with pytest.raises(UserError):
        load_benchmark("scienceqa-img")
    assert tried == ["lmms-lab/ScienceQA", "lmms-lab-encoder/ScienceQA"]


def test_the_second_hub_id_is_used_when_the_first_fails(monkeypatch, mm_data):
    real = loaders.load_rows

    def only_encoder(spec, req):
        if not spec.hub_id.startswith("lmms-lab-encoder/"):
            raise UserError("not found")
        return real(spec, type(req)(split=req.split, data_dir=mm_data["mme"], subjects=None, limit=req.limit))

    monkeypatch.setattr(loaders, "load_rows", only_encoder)
    assert [q.id for q in load_benchmark("mme").questions] == MME_IDS


def test_a_tsv_without_the_required_columns_names_the_file(tmp_path):
    bad = tmp_path / "MME.tsv"
    bad.write_text("index\tquestion\n0\tx\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"MME.tsv: missing column 'answer'"):
        load_benchmark("mme", bad)


def test_unknown_benchmark_is_a_user_error():
    with pytest.raises(UserError, match="unknown benchmark 'mmvet'"):
        load_benchmark("mmvet")
