"""A checkpoint knows its answer format: the adapters score it by default, an explicit --candidates wins and is
recorded, and wings-train / the zoo write it."""

from __future__ import annotations

import json

import pytest

from iitbench import api
from iitbench.models import load_model
from tests.fixtures.tiny_lm import make_tiny_qwen2
from tests.fixtures.tiny_wings import make_tiny_wings
from tests.runner.dataset_factory import make_dataset


def _with_format(directory, fmt):
    config = json.loads((directory / "config.json").read_text())
    (directory / "config.json").write_text(json.dumps({**config, "answer_format": fmt}))
    return directory


@pytest.fixture(scope="module")
def text_wings(tmp_path_factory):
    return _with_format(make_tiny_wings(tmp_path_factory.mktemp("w")), "text")


def test_adapters_score_the_format_their_checkpoint_records(text_wings, tmp_path):
    assert load_model(f"wings:{text_wings}").capabilities.candidates == "text"
    assert load_model(f"wings:{make_tiny_wings(tmp_path / 'plain')}").capabilities.candidates == "letter"
    causal = _with_format(make_tiny_qwen2(tmp_path / "lm"), "text")
    assert load_model(f"hf-causal:{causal}").capabilities.candidates == "text"


def test_the_run_default_follows_the_checkpoint_and_an_explicit_choice_wins(text_wings, tmp_path):
    data = make_dataset(tmp_path / "ds", per_config=1, configs=("T", "TV"))
    default = api.evaluate(f"wings:{text_wings}", data, output=tmp_path / "a", progress=False)
    forced = api.evaluate(f"wings:{text_wings}", data, candidates="letter", output=tmp_path / "b", progress=False)
    assert default.results["settings"]["prompt_format"]["candidates"] == "text"
    assert forced.results["settings"]["prompt_format"]["candidates"] == "letter"
    assert default.results["settings"]["prompt_hash"] != forced.results["settings"]["prompt_hash"]


def test_the_shipped_zoo_checkpoints_record_text_answers():
    from iitbench.zoo import WEIGHTS_DIR

    for name in ("base-tiny", "llava-tiny", "wings-tiny"):
        assert json.loads((WEIGHTS_DIR / name / "config.json").read_text())["answer_format"] == "text"


def test_wings_train_writes_the_answer_format_it_is_given(tmp_path):
    from tests.wings_ref.train.train_tiny import base_config
    from wings_ref.train import build_run, train
    from wings_ref.train.config import config_from_dict

    cfg = config_from_dict(base_config(tmp_path, max_steps=1, answer_format="text"))
    train(build_run(cfg))
    assert json.loads((tmp_path / "out" / "config.json").read_text())["answer_format"] == "text"
