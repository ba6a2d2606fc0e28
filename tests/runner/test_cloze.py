"""The cloze prompt format: lm-eval's multiple-choice layout, scored through Adapter.score_text."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from iitbench.data.manifest import load_dataset_dir
from iitbench.data.types import Item, TextPart, Turn
from iitbench.errors import UserError
from iitbench.models.dummy import DummyAdapter
from iitbench.models.protocol import TextScoreRequest, TextScoreResult
from iitbench.runner import PromptFormat, RunSettings, run_dataset
from iitbench.runner.cloze import render_cloze
from iitbench.runner.samplelog import read_records
from tests.runner.dataset_factory import make_dataset

MMLU_META = {"cloze": "Question: 2+2?\nAnswer:", "cloze_description": "The following are questions (with answers) "
             "about elementary mathematics.\n\n", "subject": "elementary_mathematics", "category": "stem"}


def _turn(text, choices, answer, meta=None):
    return Turn(kind="T", source="s", parts=(TextPart(text),), choices=choices, answer=answer, meta=meta or {})


def test_single_turn_is_lm_eval_zero_shot_context_and_dialogues_are_few_shot_layout():
    scored = _turn("2+2?", ("3", "4"), 1, MMLU_META)
    single = Item(id="a", config="T", turns=(scored,), scored_turn=0)
    assert render_cloze(single, 0, []) == MMLU_META["cloze_description"] + "Question: 2+2?\nAnswer:"
    first = _turn("Sky colour?", ("blue", "red"), 0)  # no cloze meta: the generic Question/Answer form
    dialogue = Item(id="b", config="TT", turns=(first, scored), scored_turn=1)
    assert render_cloze(dialogue, 1, ["blue"]) == (MMLU_META["cloze_description"] + "Question: Sky colour?\nAnswer: "
                                                   "blue\n\nQuestion: 2+2?\nAnswer:")


def test_cloze_prompt_hash_differs_and_raw_options_are_scored():
    cloze, text = PromptFormat.for_candidates("cloze"), PromptFormat.for_candidates("text")
    assert cloze.hash != text.hash and cloze.is_cloze and not text.is_cloze
    turn = _turn("Goal?", ("use a cup", "use a sieve"), 0, {"cloze_choices": (" use a cup", "use a sieve ")})
    assert cloze.candidates_for(turn) == (" use a cup", "use a sieve ")
    assert text.candidates_for(turn) == ("use a cup", "use a sieve")


class RecordingAdapter(DummyAdapter):
    """Scores a continuation by minus its length; remembers every raw-text request."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen: list[TextScoreRequest] = []

    def score_text(self, requests: Sequence[TextScoreRequest]) -> list[TextScoreResult]:
        self.seen.extend(requests)
        return [TextScoreResult(loglik=-float(len(r.continuation)) - (0.5 if "x" in r.continuation else 0.0),
                                n_tokens=1, is_greedy=False) for r in requests]


def _run(adapter, ds, out, **kw):
    settings = RunSettings(prompt_format=PromptFormat.for_candidates("cloze"), **kw)
    return run_dataset(adapter, load_dataset_dir(ds), settings, out, model_spec="rec", model_args={}, progress=False)


def test_engine_scores_options_as_raw_continuations_and_marks_image_dialogues_not_applicable(tmp_path):
    ds = make_dataset(tmp_path / "ds", per_config=4, configs=("T", "TT", "TV"))
    adapter = RecordingAdapter()
    res = _run(adapter, ds, tmp_path / "run")
    assert adapter.seen and all(r.continuation.startswith(" ") for r in adapter.seen)
    assert all("Answer:" in r.context for r in adapter.seen)
    recs = {(r["id"], r["turn"]): r for r in read_records(tmp_path / "run" / "samples.jsonl")}
    tv = [r for r in recs.values() if r["config"] == "TV"]
    assert tv and all(r["status"] == "n/a" and "text-only" in r["reason"] for r in tv)
    ok = [r for r in recs.values() if r["status"] == "ok"]
    for r in ok:  # acc_norm divides by characters: the shortest option still wins acc, acc_norm may differ
        assert r["prediction"] == max(range(len(r["loglik"])), key=lambda i: (r["loglik"][i], -i))
    assert res.results["model"]["chat_template_hash"] is None
    assert res.results["settings"]["prompt_format"]["candidates"] == "cloze"


def test_adapter_without_raw_text_scoring_and_free_running_generate_are_refused(tmp_path):
    ds = make_dataset(tmp_path / "ds", per_config=2, configs=("T",))

    class NoRaw(DummyAdapter):
        def score_text(self, requests):
            raise NotImplementedError

    with pytest.raises(UserError, match="cannot score raw text; use --candidates text or letter"):
        _run(NoRaw(), ds, tmp_path / "run")
    with pytest.raises(UserError, match="free-running"):
        RunSettings(prompt_format=PromptFormat.for_candidates("cloze"), mode="free-running",
                    free_running_source="generate")
