"""`iitbench run --model hf-causal:<dir>` end to end on the tiny Qwen2: batch size never changes the scores."""

from __future__ import annotations

import json

import pytest

from iitbench.cli.main import main
from tests.fixtures.tiny_lm import make_tiny_qwen2
from tests.runner.dataset_factory import make_dataset


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("hfc-run")
    return make_tiny_qwen2(root / "lm"), make_dataset(root / "ds", per_config=6)


def _run(model_dir, ds, out, bs):
    assert main(["run", "--model", f"hf-causal:{model_dir}", "--suite", str(ds), "--batch-size", str(bs),
                 "--output", str(out), "--no-progress"]) == 0
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    return records, json.loads((out / "results.json").read_text())


def test_batch_size_1_and_8_give_identical_predictions_and_metrics(setup, tmp_path):
    model_dir, ds = setup
    rec1, res1 = _run(model_dir, ds, tmp_path / "bs1", 1)
    rec8, res8 = _run(model_dir, ds, tmp_path / "bs8", 8)
    assert res1["metrics"] == res8["metrics"]
    assert [(r["id"], r["prediction"], r["status"]) for r in rec1] == [(r["id"], r["prediction"], r["status"]) for r in rec8]
    for a, b in zip(rec1, rec8):
        assert a["loglik"] == pytest.approx(b["loglik"], abs=1e-5)
    # The text-only model scores T configs and marks every dialogue with an image as not applicable.
    per = res1["metrics"]["per_config"]
    assert per["TTT"]["n"] == 6 and per["TTT"]["n_na"] == 0
    assert per["TV"]["n"] == 0 and per["TV"]["n_na"] == 6 and per["TV"]["acc"] is None
    assert res1["model"]["fingerprint"] and res1["model"]["chat_template_hash"]
