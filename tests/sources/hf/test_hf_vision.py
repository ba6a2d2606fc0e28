"""Image sources with one image per question: MMBench (parquet and OpenCompass TSV), SEED-Bench, AI2D."""

from __future__ import annotations

import pytest

from iitbench.data.types import ImageBlob, TextPart
from iitbench.errors import UserError
from iitbench.sources.hf import load_source, load_source_report
from tests.sources.hf.hf_fixtures import colour, hf_data, image_bytes, pixel  # noqa: F401  (hf_data: session fixture)


def test_mmbench_hint_nan_options_and_circular_copies(hf_data):
    rep = load_source_report("mmbench", data_dir=hf_data["mmbench"])
    qs = {q.id: q for q in rep.questions}
    assert sorted(qs) == ["mmbench/dev/0", "mmbench/dev/1", "mmbench/dev/2"]
    assert qs["mmbench/dev/0"].text == "What colour?"  # "nan" hint not prepended
    assert qs["mmbench/dev/1"].text == "Count them.\nHow many?"
    assert qs["mmbench/dev/1"].choices == ("1", "2", "3") and qs["mmbench/dev/1"].answer == 2
    assert qs["mmbench/dev/2"].choices == ("yes", "no") and qs["mmbench/dev/2"].answer == 1
    assert isinstance(qs["mmbench/dev/0"].parts[0], ImageBlob) and qs["mmbench/dev/0"].subject == "color"
    assert qs["mmbench/dev/0"].parts[0].data == image_bytes(1)  # original bytes, not re-encoded
    assert rep.skipped == {"answer not among the options": 1, "circular copy": 1}


def test_mmbench_tsv_gives_the_same_questions_and_resolves_shared_images(hf_data):
    parquet = load_source("mmbench", data_dir=hf_data["mmbench"])
    tsv_file = load_source("mmbench", data_dir=hf_data["mmbench_tsv"])
    tsv_dir = load_source("mmbench", data_dir=hf_data["mmbench_tsv"].parent)
    assert tsv_file == tsv_dir
    assert [q.id for q in tsv_file] == [q.id for q in parquet]
    assert [q.choices for q in tsv_file] == [q.choices for q in parquet]
    assert [q.text for q in tsv_file] == [q.text for q in parquet]
    shared = {q.id: q for q in tsv_file}["mmbench/dev/2"]
    assert pixel(shared.parts[0]) == colour(1)  # its image cell named row 0


def test_mmbench_config_folders_are_picked_by_subjects_but_flat_files_refuse_them(hf_data):
    assert [q.id for q in load_source("mmbench", data_dir=hf_data["mmbench"], subjects=["en"])] == [
        "mmbench/dev/0", "mmbench/dev/1", "mmbench/dev/2"]
    with pytest.raises(UserError, match="flat files hold a single config"):
        load_source("mmbench", data_dir=hf_data["mmbench_tsv"], subjects=["en"])


def test_seedbench_keeps_image_items_and_skips_video(hf_data):
    rep = load_source_report("seedbench", data_dir=hf_data["seedbench"])
    assert [q.id for q in rep.questions] == ["seedbench/101669", "seedbench/2"]
    q = rep.questions[1]
    assert q.choices == ("0", "1", "2", "3") and q.answer == 2 and q.subject == "Instances Counting"
    assert [type(p) for p in q.parts] == [ImageBlob, TextPart] and pixel(q.parts[0]) == colour(6)
    assert rep.skipped == {"video item": 1}


def test_ai2d_digit_answer_is_the_gold_index(hf_data):
    rep = load_source_report("ai2d", data_dir=hf_data["ai2d"])
    assert [q.id for q in rep.questions] == ["ai2d/test/0", "ai2d/test/2"]
    assert rep.questions[0].answer == 2 and rep.questions[1].choices[rep.questions[1].answer] == "cow"
    assert rep.questions[1].parts[0].format == "jpg"
    assert rep.skipped == {"answer not among the options": 1}
