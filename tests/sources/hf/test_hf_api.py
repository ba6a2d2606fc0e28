"""The loader API: registry contents, errors (unknown source, offline Hub, bad dirs), limits, determinism."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from iitbench.errors import DataError, UserError
from iitbench.sources.hf import SOURCES, load_source, load_source_report
from iitbench.sources.hf.base import RowContext
from iitbench.sources.hf.blobs import to_blob
from tests.sources.hf.hf_fixtures import WRITERS, hf_data  # noqa: F401  (hf_data: session fixture)

EXPECTED = {"mmlu": ("cais/mmlu", "T", "MIT"), "cmmlu": ("haonan-li/cmmlu", "T", "cc-by-nc-4.0"),
            "openbookqa": ("allenai/openbookqa", "T", "Apache-2.0"), "hellaswag": ("Rowan/hellaswag", "T", "MIT"),
            "mmmu": ("MMMU/MMMU", "V", "apache-2.0"), "mmbench": ("lmms-lab/MMBench", "V", "unknown"),
            "seedbench": ("lmms-lab/SEED-Bench", "V", "cc-by-nc-4.0"), "ai2d": ("lmms-lab/ai2d", "V", "unknown"),
            "arc_easy": ("allenai/ai2_arc", "T", "CC-BY-SA-4.0"), "arc_challenge": ("allenai/ai2_arc", "T", "CC-BY-SA-4.0"),
            "piqa": ("ybisk/piqa", "T", "AFL-3.0"), "sciq": ("allenai/sciq", "T", "CC-BY-NC-3.0")}


def test_registry_lists_the_sources_with_hub_ids_and_licences():
    assert {n: (s.hub_id, s.kind, s.licence) for n, s in SOURCES.items()} == EXPECTED
    assert SOURCES["cmmlu"].hub_revision == "refs/convert/parquet"
    assert len(SOURCES["mmlu"].configs) == 57 and len(SOURCES["cmmlu"].configs) == 67
    assert len(SOURCES["mmmu"].configs) == 30
    assert {n: s.default_split for n, s in SOURCES.items()}["hellaswag"] == "validation"


def test_unknown_source_error_lists_valid_names():
    with pytest.raises(UserError, match="unknown source 'mmlu2'; valid sources: ai2d, arc_challenge, arc_easy, cmmlu, hellaswag"):
        load_source("mmlu2")


def test_offline_hub_fails_with_one_line_error_naming_hub_id_and_local_copy(monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UserError) as err:
        load_source("openbookqa", limit=1)
    msg = str(err.value)
    assert "\n" not in msg and "allenai/openbookqa" in msg and "--source DIR" in msg and "DIR/openbookqa/" in msg


def test_unknown_subject_and_split_are_user_errors():
    with pytest.raises(UserError, match="unknown subject"):
        load_source("mmmu", subjects=["Maths"])
    with pytest.raises(UserError, match="unknown split 'val'"):
        load_source("mmmu", split="val")
    with pytest.raises(UserError, match="has no subjects"):
        load_source("ai2d", subjects=["x"])


def test_data_dir_without_split_files_names_the_expected_layout(tmp_path):
    with pytest.raises(UserError, match=r"no test files for ai2d; expected test\.parquet"):
        load_source("ai2d", data_dir=tmp_path)
    with pytest.raises(UserError, match="does not exist"):
        load_source("ai2d", data_dir=tmp_path / "nope")


def test_corrupt_parquet_is_a_data_error_naming_the_folder(tmp_path):
    (tmp_path / "test.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match=str(tmp_path)):
        load_source("ai2d", data_dir=tmp_path)


def test_limit_stops_after_that_many_questions(hf_data):
    assert [q.id for q in load_source("mmlu", data_dir=hf_data["mmlu"], limit=2)] == [
        "mmlu/abstract_algebra/test/0", "mmlu/abstract_algebra/test/2"]
    assert load_source("mmlu", data_dir=hf_data["mmlu"], limit=0) == []


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_same_files_give_same_questions(name, hf_data, tmp_path):
    first = load_source(name, data_dir=hf_data[name])
    again = load_source(name, data_dir=WRITERS[name](tmp_path / name))  # files rewritten from scratch
    assert first and first == again
    assert len({q.id for q in first}) == len(first)


def test_jsonl_files_with_relative_image_paths_load(tmp_path):
    import json

    Image.new("RGB", (8, 8), (1, 2, 3)).save(tmp_path / "a.png")
    row = {"question": "Q?", "options": ["x", "y"], "answer": "1", "image": "a.png"}
    (tmp_path / "test.jsonl").write_text(json.dumps(row) + "\n")
    [q] = load_source("ai2d", data_dir=tmp_path)
    assert q.answer == 1 and q.parts[0].data == (tmp_path / "a.png").read_bytes()


def test_pil_images_are_reencoded_as_identical_png():
    img = Image.new("RGB", (32, 32), (9, 8, 7))
    ctx = RowContext(source="x", config="", split="test", row=0)
    a, b = to_blob(img, ctx), to_blob(img.copy(), ctx)
    assert a == b and a.format == "png"
    assert Image.open(io.BytesIO(a.data)).getpixel((0, 0)) == (9, 8, 7)


def test_load_report_summary_names_reasons(hf_data):
    rep = load_source_report("seedbench", data_dir=hf_data["seedbench"])
    assert rep.summary() == "seedbench/test: 2 questions from 3 rows; skipped 1 (video item: 1)"
