"""MMMU: Python-literal options, multiple-choice only, `<image k>` placeholders become images in place."""

from __future__ import annotations

from iitbench.data.types import ImageBlob, TextPart
from iitbench.sources.hf import load_source_report
from tests.sources.hf.hf_fixtures import colour, hf_data, pixel  # noqa: F401  (hf_data: session fixture)


def _by_id(hf_data):
    rep = load_source_report("mmmu", data_dir=hf_data["mmmu"], subjects=["Math"])
    return rep, {q.id: q for q in rep.questions}


def test_mmmu_repeated_placeholders_reuse_the_same_image_in_reading_order(hf_data):
    _, qs = _by_id(hf_data)
    q = qs["mmmu/validation_Math_1"]
    blobs = [p for p in q.parts if isinstance(p, ImageBlob)]
    assert [pixel(b) for b in blobs] == [colour(k) for k in (1, 2, 1, 1, 2)]
    assert blobs[0] == blobs[2] == blobs[3] and blobs[1] == blobs[4]
    assert isinstance(q.parts[0], TextPart) and q.parts[0].text == "Compare "
    assert q.text == "Compare  with . Then ,  and ?"
    assert q.choices == ("$6", "$7", "$8") and q.answer == 1 and q.subject == "Math"


def test_mmmu_option_images_become_text_and_are_appended_once(hf_data):
    _, qs = _by_id(hf_data)
    q = qs["mmmu/validation_Math_2"]
    assert q.choices == ("(image 3)", "(image 1)", "none") and q.answer == 0
    blobs = [p for p in q.parts if isinstance(p, ImageBlob)]
    # image 2 from the question, then images 3 and 1 from the options, in option order.
    got = [pixel(b) for b in blobs]
    want = [colour(k) for k in (2, 3, 1)]
    assert len(got) == 3 and all(abs(g - w) <= 8 for gp, wp in zip(got, want) for g, w in zip(gp, wp))  # JPEG is lossy
    assert [b.format for b in blobs] == ["png", "jpg", "png"]  # original JPEG bytes kept
    assert "(image 3): " in q.text and "(image 1): " in q.text


def test_mmmu_seven_images_out_of_order(hf_data):
    _, qs = _by_id(hf_data)
    blobs = [p for p in qs["mmmu/validation_Math_6"].parts if isinstance(p, ImageBlob)]
    assert [pixel(b) for b in blobs] == [colour(k) for k in range(7, 0, -1)]


def test_mmmu_open_bad_answer_and_missing_image_rows_are_skipped_and_counted(hf_data):
    rep, qs = _by_id(hf_data)
    assert sorted(qs) == ["mmmu/validation_Math_1", "mmmu/validation_Math_2", "mmmu/validation_Math_6"]
    assert rep.skipped == {"answer not among the options": 1, "missing image (placeholder without image)": 1,
                           "open question": 1}
    assert rep.rows_read == 6


def test_mmmu_all_subject_folders_are_read_in_default_order(hf_data):
    rep = load_source_report("mmmu", data_dir=hf_data["mmmu"])
    assert rep.questions[0].id == "mmmu/validation_Art_1" and rep.questions[0].subject == "Art"
    assert pixel(rep.questions[0].parts[0]) == colour(4)
    assert all(q.kind == "V" for q in rep.questions)
