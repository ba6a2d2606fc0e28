"""P1 correctness: the same synth text items scored three ways agree, with no chat template on any side.

1. `iitbench run` (runner + hf-causal with a template that renders only the user text, so the prompt is the raw
   lm-eval context) vs lm-eval through the bridge (IitbenchLM -> score_text): identical per-choice
   log-likelihoods (<= 1e-5) and identical correctness per item.
2. lm-eval's own `hf` model (HFLM) on the same tiny directory vs the bridge: log-likelihoods <= 1e-4, same
   is_greedy flags and accuracies.
"""

from __future__ import annotations

import json

import pytest

from iitbench.cli.main import main
from iitbench.data.manifest import write_dataset
from iitbench.data.types import Item
from iitbench.lmeval.tasks import question_turn
from iitbench.sources.synth import load_synth


@pytest.fixture(scope="module")
def runner_records(tiny_dir, tmp_path_factory, synth_setup):
    root = tmp_path_factory.mktemp("parity")
    questions = load_synth("test", n_per_family=synth_setup["n_per_family"], seed=0, kinds=("T",),
                           families=list(synth_setup["families"]))
    items = [Item(id=q.id, config="T", turns=(question_turn(q),), scored_turn=0) for q in questions]
    write_dataset(root / "ds", items, name="synth-text-parity", version="1", licences={}, build={})
    template = root / "identity.jinja"
    template.write_text(synth_setup["identity_template"], encoding="utf-8")
    rc = main(["run", "--model", f"hf-causal:{tiny_dir}", "--model-args", f"chat_template={template}",
               "--suite", str(root / "ds"), "--output", str(root / "run"), "--no-progress", "--batch-size", "3"])
    assert rc == 0
    lines = (root / "run" / "samples.jsonl").read_text().splitlines()
    return {r["id"]: r for r in map(json.loads, lines)}


def test_iitbench_run_and_lm_eval_bridge_give_identical_logliks_and_accuracy(runner_records, bridge_run,
                                                                             logliks_of, synth_setup):
    bridge = logliks_of(bridge_run)
    assert sorted(bridge) == sorted(runner_records)
    assert len(bridge) == synth_setup["n_per_family"] * len(synth_setup["families"])
    for item_id, (scores, acc) in bridge.items():
        ours = runner_records[item_id]
        assert [s for s, _ in scores] == pytest.approx(ours["loglik"], abs=1e-5), item_id
        assert bool(acc) == ours["correct"], item_id


def test_lm_evals_own_hf_model_agrees_with_the_bridge(tiny_dir, tasks_dir, bridge_run, logliks_of):
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    hf_run = simple_evaluate(model="hf", model_args=f"pretrained={tiny_dir},dtype=float32", device="cpu",
                             batch_size=4, tasks=["iitsynth_text"], log_samples=True,
                             task_manager=TaskManager(include_path=str(tasks_dir)))
    theirs, ours = logliks_of(hf_run), logliks_of(bridge_run)
    assert sorted(theirs) == sorted(ours)
    for item_id, (scores, acc) in theirs.items():
        assert [s for s, _ in scores] == pytest.approx([s for s, _ in ours[item_id][0]], abs=1e-4), item_id
        assert [g for _, g in scores] == [g for _, g in ours[item_id][0]], item_id
        assert acc == ours[item_id][1], item_id
    for task, res in bridge_run["results"].items():
        assert res["acc,none"] == pytest.approx(hf_run["results"][task]["acc,none"])
