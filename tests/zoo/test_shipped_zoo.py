"""The zoo's shipped weights load from a fresh install and beat chance on their own tasks (real pipeline, CLI)."""

from __future__ import annotations

import json

import pytest
from scipy.stats import binomtest

from iitbench.cli.main import main

# (model, suite): base-tiny on text; the two MLLMs on the visual suite (the whole suites: 50 items per family, 7 families).
CASES = [("base-tiny", "text"), ("llava-tiny", "mm"), ("wings-tiny", "mm")]


@pytest.mark.parametrize("model, suite", CASES)
def test_shipped_model_beats_chance_on_its_suite(model, suite, tmp_path):
    out = tmp_path / model
    assert main(["run", "--model", model, "--suite", suite, "--output", str(out), "--no-progress"]) == 0
    res = json.loads((out / "results.json").read_text())
    overall = res["metrics"]["overall"]
    assert overall["n"] == 350 and res["settings"]["prompt_format"]["candidates"] == "text"
    k = round(overall["acc"] * overall["n"])
    # One-sided exact binomial test against the 25% guess rate of 4-option questions.
    assert binomtest(k, overall["n"], 0.25, alternative="greater").pvalue < 1e-3, overall
    assert res["model"]["fingerprint"]


def test_zoo_cards_record_recipe_hash_and_accuracy():
    from iitbench.models.zoo import weights_root

    for name in ("base-tiny", "llava-tiny", "wings-tiny"):
        card = json.loads((weights_root() / name / "zoo_card.json").read_text())
        assert len(card["recipe_hash"]) == 64 and card["seed"] == 0


def test_forgetting_of_wings_tiny_sees_identical_prompts_for_both_models(tmp_path):
    out = tmp_path / "fg"
    assert main(["forgetting", "--model", "wings-tiny", "--base", "base-tiny", "--limit", "5", "--n-boot", "200",
                 "--output", str(out), "--no-progress"]) == 0
    summary = json.loads((out / "forgetting.json").read_text())
    # The two adapters hash their templates differently, but render the same dialogue to the same text.
    assert summary["template"]["rendered_probe_match"] is True and summary["template"]["chat_templates_match"] is True
    assert summary["comparison"]["overall"]["n"] == 5
