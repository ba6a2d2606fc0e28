"""Paired statistics and the forgetting comparison (pure functions of sample records)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from iitbench.cli.main import main
from iitbench.metrics.forgetting import paired_forgetting
from iitbench.metrics.paired import compare_paired, mcnemar_exact, paired_bootstrap_ci
from tests.runner.dataset_factory import make_dataset


def test_mcnemar_exact_matches_the_binomial_by_hand():
    # 10 vs 2 discordant pairs: p = 2 * P(X <= 2), X ~ Bin(12, 1/2) = 2 * (1 + 12 + 66) / 4096.
    assert mcnemar_exact(10, 2) == pytest.approx(2 * 79 / 4096)
    assert mcnemar_exact(2, 10) == mcnemar_exact(10, 2)
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(5, 5) == pytest.approx(1.0)


def test_identical_models_have_zero_delta_and_full_agreement():
    rng = np.random.default_rng(1)
    correct = rng.random(200) < 0.6
    preds = rng.integers(0, 4, 200)
    c = compare_paired(correct, correct, preds, preds)
    assert c.delta == 0 and c.delta_ci95 == (0.0, 0.0) and c.mcnemar_p == 1.0 and c.agreement == 1.0


def test_bootstrap_ci_is_seeded_covers_the_delta_and_narrows_with_n():
    rng = np.random.default_rng(0)
    a, b = rng.random(400) < 0.7, rng.random(400) < 0.5
    lo, hi = paired_bootstrap_ci(a, b, seed=3)
    assert (lo, hi) == paired_bootstrap_ci(a, b, seed=3)
    assert lo < a.mean() - b.mean() < hi
    lo_small, hi_small = paired_bootstrap_ci(a[:50], b[:50], seed=3)
    assert hi - lo < hi_small - lo_small


def test_pairing_is_tighter_than_ignoring_it_for_correlated_outcomes():
    # B = A with 10 items flipped to wrong: the paired CI must exclude 0 although the accuracies are close.
    a = np.array([True] * 150 + [False] * 50)
    b = a.copy()
    b[:10] = False
    c = compare_paired(a, b)
    assert c.only_a_correct == 10 and c.only_b_correct == 0
    assert c.delta == pytest.approx(0.05) and c.delta_ci95[0] > 0 and c.mcnemar_p < 0.01


def _rec(item, correct, pred, source="s", status="ok", scored=True):
    return {"id": item, "turn": 0, "scored": scored, "status": status, "source": source, "correct": correct,
            "prediction": pred, "correct_norm": correct, "prediction_norm": pred}


def test_paired_forgetting_groups_by_task_and_counts_unpaired_items():
    mllm = [_rec("1", True, 0, "x"), _rec("2", False, 1, "x"), _rec("3", True, 2, "y"), _rec("4", True, 0, "y")]
    base = [_rec("1", True, 0, "x"), _rec("2", True, 0, "x"), _rec("3", True, 2, "y"),
            _rec("4", None, None, "y", status="n/a"), _rec("5", True, 1, "y")]
    out = paired_forgetting(mllm, base, n_boot=200)
    assert out["per_task"]["x"]["n"] == 2 and out["per_task"]["x"]["delta"] == pytest.approx(-0.5)
    assert out["per_task"]["y"]["n"] == 1 and out["overall"]["n"] == 3
    assert out["n_unpaired"] == {"mllm_only": 1, "base_only": 1}


def test_forgetting_command_writes_json_markdown_and_plots(tmp_path, capsys):
    ds = make_dataset(tmp_path / "ds", per_config=10, configs=("T", "TT", "TV"))
    out = tmp_path / "fg"
    assert main(["forgetting", "--model", "dummy", "--base", "random", "--suite", str(ds), "--output", str(out),
                 "--n-boot", "200", "--no-progress"]) == 0
    summary = json.loads((out / "forgetting.json").read_text())
    overall = summary["comparison"]["overall"]
    assert overall["n"] == 30  # the TV items are scored for both (the reference adapters take images)
    assert {"mllm", "base"} <= set(summary["models"]) and summary["template"]["chat_templates_match"]
    for name in ("forgetting.md", "forgetting.png", "forgetting.svg", "mllm/results.json", "base/samples.jsonl"):
        assert (out / name).is_file()
    assert "| **overall** |" in capsys.readouterr().out
    # Rerunning resumes both runs and reproduces the same numbers.
    assert main(["forgetting", "--model", "dummy", "--base", "random", "--suite", str(ds), "--output", str(out),
                 "--n-boot", "200", "--no-progress"]) == 0
    assert json.loads((out / "forgetting.json").read_text())["comparison"] == summary["comparison"]


def test_forgetting_refuses_image_suites_with_exit_2(tmp_path, capsys):
    assert main(["forgetting", "--model", "dummy", "--base", "random", "--suite", "mm",
                 "--output", str(tmp_path / "x")]) == 2
    assert "compares text skills" in capsys.readouterr().err
