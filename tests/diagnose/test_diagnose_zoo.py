"""`iitbench diagnose` on the shipped zoo: ranges, schema, batch-size independence, a direct recomputation of the
output shift, a model against itself, and llava-tiny (the naive recipe) against WINGS."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from iitbench.diagnose.results import DiagnoseResults
from tests.diagnose.conftest import IIT_LIMIT, LIMIT, read, run_pair

SUMMARY = {"kl_mean", "kl_reverse_mean", "js_mean", "cka_mean", "cka_drift_mean", "weight_drift_mean",
           "weight_drift_global", "mixing_mean", "mixing_early_mean"}


def _in_range(d: dict) -> None:
    s = d["summary"]
    items = read_items(d)
    assert all(r["kl"] >= 0 and 0 <= r["js"] <= math.log(2) for r in items)
    assert all(0 <= v <= 1 for v in d["layers"]["cka"])
    assert all(-1 <= v <= 1 for v in d["layers"]["mixing"])
    assert all(v >= 0 for v in d["layers"]["weight_drift"])
    for key in ("kl_mean", "js_mean", "mixing_mean", "mixing_early_mean"):
        assert s[key]["lo"] <= s[key]["value"] <= s[key]["hi"]


def read_items(d: dict) -> list[dict]:
    return d["_items"]


def _load(path) -> dict:
    d = read(path, "diagnose.json")
    d["_items"] = read(path, "output_shift.json")["items"]
    return d


def test_wings_vs_base_schema_ranges_and_frames(wings_runs):
    d = _load(wings_runs[4])
    assert set(d["summary"]) == SUMMARY
    assert set(d) >= {"schema_version", "models", "data", "settings", "summary", "predictors", "layers", "versions"}
    assert {p: s["status"] for p, s in d["predictors"].items()} == dict.fromkeys(
        ("output_shift", "cka", "weight_drift", "mixing"), "ok")
    assert d["data"]["text"]["n_items"] == LIMIT and d["data"]["iit"]["n_used"] == IIT_LIMIT
    assert d["models"]["mllm"]["fingerprint"] and d["models"]["base"]["fingerprint"] and d["data"]["text"]["fingerprint"]
    assert d["layers"]["n_layers"] == 4 and d["summary"]["cka_mean"]["lo"] is None  # not an item statistic
    _in_range(d)
    res = DiagnoseResults.load(wings_runs[4])
    assert len(res.to_pandas("items")) == LIMIT and len(res.to_pandas("layers")) == 4
    assert len(res.to_pandas("mixing")) == IIT_LIMIT * 4 and len(res.to_pandas("summary")) == len(SUMMARY)
    assert res.value("cka_drift_mean") == pytest.approx(1 - res.value("cka_mean"))
    # the work chunks are kept on request, removed otherwise
    assert (wings_runs[4] / "work" / "base").is_dir()


def test_results_do_not_depend_on_the_batch_size(wings_runs):
    a, b = _load(wings_runs[4]), _load(wings_runs[1])
    for x, y in zip(read_items(a), read_items(b)):
        assert x["key"] == y["key"]
        assert x["kl"] == pytest.approx(y["kl"], abs=1e-5) and x["js"] == pytest.approx(y["js"], abs=1e-5)
    assert a["layers"]["cka"] == pytest.approx(b["layers"]["cka"], abs=1e-6)
    assert a["layers"]["mixing"] == pytest.approx(b["layers"]["mixing"], abs=1e-5)
    assert a["layers"]["weight_drift"] == b["layers"]["weight_drift"]


def test_output_shift_equals_a_direct_unbatched_computation(wings_runs):
    """Each model alone on each prompt, its own chat template rendered by hand: KL/JS at the last prompt token."""
    from iitbench.api.suites import resolve_suite
    from iitbench.data.manifest import load_dataset_dir
    from iitbench.models import load_model
    from iitbench.models.protocol import hf_conversation
    from iitbench.runner.render import PromptFormat, render

    fmt = PromptFormat.for_candidates("text")
    data = load_dataset_dir(resolve_suite("text", 0)[0])
    wings, base = load_model("wings-tiny"), load_model("base-tiny")
    items = {r["key"]: r for r in read(wings_runs[4], "output_shift.json")["items"]}
    for item in data.items[:3]:
        messages = render(item, 0, data.root, fmt, [])
        pieces, _ = wings.processor.render(hf_conversation(messages))
        w_ids = wings.processor.encode(list(pieces[:-1]) + [pieces[-1].rstrip(" ")])
        b_ids = base.tokenizer(base.render(messages).rstrip(" "), add_special_tokens=False)["input_ids"]
        with torch.inference_mode():
            lm = torch.log_softmax(wings.model(input_ids=torch.tensor([w_ids])).logits[0, -1].double(), -1)
            lb = torch.log_softmax(base.model(input_ids=torch.tensor([b_ids])).logits[0, -1].double(), -1)
        kl = float((lb.exp() * (lb - lm)).sum())
        mix = torch.log(0.5 * (lb.exp() + lm.exp()))
        js = float(0.5 * (lb.exp() * (lb - mix)).sum() + 0.5 * (lm.exp() * (lm - mix)).sum())
        got = items[f"{item.id}#0"]
        assert got["kl"] == pytest.approx(kl, abs=1e-5, rel=1e-4) and got["js"] == pytest.approx(js, abs=1e-5)


def test_a_model_against_itself_has_no_shift_no_drift_and_full_cka(tmp_path):
    res = run_pair("wings-tiny", "wings-tiny", tmp_path / "self", limit=6, iit_limit=3)
    s = res.summary["summary"]
    assert s["kl_mean"]["value"] == 0.0 and s["kl_reverse_mean"]["value"] == 0.0 and s["js_mean"]["value"] < 1e-15
    assert s["cka_mean"]["value"] == pytest.approx(1.0, abs=1e-12)
    assert s["weight_drift_mean"]["value"] == 0.0 and s["weight_drift_global"]["value"] == 0.0
    assert res.summary["predictors"]["mixing"]["status"] == "ok"
    assert not (tmp_path / "self" / "work").exists()  # removed after a complete run


def test_llava_tiny_drifts_more_than_wings_tiny(tmp_path, wings_runs):
    """The naive recipe fine-tunes the LLM at 1e-3, WINGS at 5e-5 (leaderboards/zoo.md): far more weight drift."""
    llava = run_pair("llava-tiny", "base-tiny", tmp_path / "llava", iit_limit=3)
    _in_range(_load(tmp_path / "llava"))
    wings = DiagnoseResults.load(wings_runs[4])
    assert llava.value("weight_drift_mean") > 5 * wings.value("weight_drift_mean")
    assert np.isfinite(llava.value("kl_mean")) and llava.summary["data"]["iit"]["n_used"] == 3


def test_a_subset_of_predictors_leaves_the_others_not_requested(tmp_path):
    res = run_pair("wings-tiny", "base-tiny", tmp_path / "sub", predictors="weight_drift")
    assert res.summary["predictors"]["weight_drift"]["status"] == "ok"
    assert {p: s["status"] for p, s in res.summary["predictors"].items() if p != "weight_drift"} == dict.fromkeys(
        ("output_shift", "cka", "mixing"), "not requested")
    assert res.value("kl_mean") is None and res.summary["data"]["iit"]["n_dialogues"] is None
