import json
from pathlib import Path

import pytest

from iitbench.data.manifest import load_dataset_dir
from iitbench.errors import UserError
from iitbench.models import Capabilities, load_model
from iitbench.runner import RunSettings, read_records, run_dataset
from iitbench.runner.engine import make_record
from tests.runner.adapters import ContextAdapter, TextOnlyAdapter


def _run(adapter, ds_dir, out, spec="context", **kw):
    ds = load_dataset_dir(ds_dir)
    return run_dataset(adapter, ds, RunSettings(**kw), out, model_spec=spec, model_args={}, progress=False)


def _samples(run_dir):
    return read_records(Path(run_dir) / "samples.jsonl")


def test_teacher_forced_records_only_the_scored_turn(small_ds, tmp_path):
    out = _run(ContextAdapter(), small_ds, tmp_path / "r")
    recs = _samples(out.run_dir)
    assert len(recs) == 48 and all(r["scored"] and r["turn"] == len(r["config"]) - 1 for r in recs)
    assert all(r["response"] is None and r["mode"] == "teacher-forced" for r in recs)
    assert out.results["metrics"]["overall"]["n"] == 48


def test_free_running_scores_every_turn_and_feeds_own_answers(small_ds, tmp_path):
    adapter = ContextAdapter()
    out = _run(adapter, small_ds, tmp_path / "r", mode="free-running")
    recs = {(r["id"], r["turn"]): r for r in _samples(out.run_dir)}
    assert len(recs) == 8 * (1 + 2 + 3 + 3 + 2 + 1)
    assert all(r["response"] == "ABCD"[r["prediction"]] for r in recs.values())
    # The request of turn 2 carries the model's own answers of turns 0 and 1.
    req = next(q for q in adapter.seen if q.key == "TTT-003#2")
    assert [m.text for m in req.messages if m.role == "assistant"] == [recs[("TTT-003", 0)]["response"],
                                                                     recs[("TTT-003", 1)]["response"]]
    assert set(out.results["metrics"]["per_turn"]) == {"0", "1", "2"}


def test_free_running_differs_from_teacher_forced_only_where_context_differs(small_ds, tmp_path):
    tf = {r["id"]: r for r in _samples(_run(ContextAdapter(), small_ds, tmp_path / "tf").run_dir)}
    fr = {r["id"]: r for r in _samples(_run(ContextAdapter(), small_ds, tmp_path / "fr", mode="free-running").run_dir)
          if r["scored"]}
    single = [i for i in tf if len(tf[i]["config"]) == 1]
    assert all(tf[i]["loglik"] == fr[i]["loglik"] for i in single)
    multi = [i for i in tf if len(tf[i]["config"]) > 1]
    assert any(tf[i]["loglik"] != fr[i]["loglik"] for i in multi)


def test_free_running_generate_uses_reply_as_context_and_parses_prediction(small_ds, tmp_path):
    out = _run(ContextAdapter(), small_ds, tmp_path / "r", mode="free-running", free_running_source="generate")
    recs = _samples(out.run_dir)
    parsed = [r for r in recs if r["response"] != "I am not sure"]
    unparsed = [r for r in recs if r["response"] == "I am not sure"]
    assert parsed and unparsed
    assert all(r["prediction"] == "ABC".index(r["response"][0]) for r in parsed)
    assert all(r["prediction"] == max(range(len(r["loglik"])), key=r["loglik"].__getitem__) for r in unparsed)


def test_generate_source_refused_for_a_model_that_cannot_generate(small_ds, tmp_path):
    class ScoreOnly(ContextAdapter):
        capabilities = Capabilities(images=True, generate=False)

    with pytest.raises(UserError, match="cannot generate"):
        _run(ScoreOnly(), small_ds, tmp_path / "r", mode="free-running", free_running_source="generate")
    assert not (tmp_path / "r").exists()  # refused before claiming the directory


@pytest.mark.parametrize("mode", ["teacher-forced", "free-running"])
def test_batch_size_does_not_change_samples(small_ds, tmp_path, mode):
    a = _run(ContextAdapter(), small_ds, tmp_path / "b1", batch_size=1, mode=mode)
    b = _run(ContextAdapter(), small_ds, tmp_path / "b8", batch_size=8, mode=mode)
    assert (a.run_dir / "samples.jsonl").read_bytes() == (b.run_dir / "samples.jsonl").read_bytes()
    assert a.results["metrics"] == b.results["metrics"]


def test_text_only_model_gets_not_applicable_records_for_image_dialogues(small_ds, tmp_path):
    tf = _samples(_run(TextOnlyAdapter(), small_ds, tmp_path / "tf").run_dir)
    na = [r for r in tf if r["status"] == "n/a"]
    assert {r["config"] for r in na} == {"TTV", "TV", "V"}
    assert all(r["loglik"] == [] and r["correct"] is None and "image" in r["reason"] for r in na)
    fr = {(r["id"], r["turn"]): r for r in _samples(_run(TextOnlyAdapter(), small_ds, tmp_path / "fr",
                                                           mode="free-running").run_dir)}
    assert fr[("TTV-000", 1)]["status"] == "ok" and fr[("TTV-000", 2)]["status"] == "n/a"
    m = _run(TextOnlyAdapter(), small_ds, tmp_path / "tf").results["metrics"]
    assert m["per_config"]["V"] == {"acc": None, "acc_norm": None, "n": 0, "n_na": 8, "stderr": None, "ci95": None,
                                   "ci95_norm": None}


def test_rerun_resumes_without_recomputing(small_ds, tmp_path):
    first = _run(ContextAdapter(), small_ds, tmp_path / "r", mode="free-running")
    again = _run(ContextAdapter(), small_ds, tmp_path / "r", mode="free-running")
    assert first.computed == 96 and again.computed == 0 and again.resumed == 96
    assert again.results["metrics"] == first.results["metrics"]


@pytest.mark.parametrize("change", ["model", "mode", "dataset"])
def test_refuses_to_mix_runs_in_one_directory(small_ds, tmp_path, change):
    _run(ContextAdapter(), small_ds, tmp_path / "r")
    other_ds = small_ds
    if change == "dataset":
        from tests.runner.dataset_factory import make_dataset

        other_ds = make_dataset(tmp_path / "other", per_config=2)
    adapter = load_model("context", {"salt": "other"}) if change == "model" else ContextAdapter()
    with pytest.raises(UserError, match="holds a run of model 'context' on dataset 'tiny'.*use another --output"):
        _run(adapter, other_ds, tmp_path / "r", mode="free-running" if change == "mode" else "teacher-forced")


def test_truncated_last_line_is_dropped_and_recomputed(small_ds, tmp_path):
    ref = _run(ContextAdapter(), small_ds, tmp_path / "ref", mode="free-running")
    run = tmp_path / "cut"
    _run(ContextAdapter(), small_ds, run, mode="free-running")
    path = run / "samples.jsonl"
    data = path.read_bytes()
    lines = data.splitlines(keepends=True)
    # Keep 30 records, then half of the next one (what SIGKILL during a write leaves).
    path.write_bytes(b"".join(lines[:30]) + lines[30][:25])
    (run / "results.json").unlink()
    again = _run(ContextAdapter(), small_ds, run, mode="free-running")
    assert again.resumed == 30 and again.computed == 96 - 30
    assert path.read_bytes() == (ref.run_dir / "samples.jsonl").read_bytes()


def test_limit_takes_first_items_of_each_config(small_ds, tmp_path):
    out = _run(ContextAdapter(), small_ds, tmp_path / "r", limit=2)
    ids = [r["id"] for r in _samples(out.run_dir)]
    assert len(ids) == 12 and {i.split("-")[1] for i in ids} == {"000", "001"}
    assert out.results["data"]["n_items"] == 12 and out.results["settings"]["limit"] == 2


def test_results_file_has_schema_keys(small_ds, tmp_path):
    out = _run(ContextAdapter(), small_ds, tmp_path / "r")
    res = json.loads((out.run_dir / "results.json").read_text())
    assert res["schema_version"] == 1
    assert set(res) == {"schema_version", "model", "data", "settings", "metrics", "provenance"}
    assert set(res["model"]) == {"name", "args", "fingerprint", "parameters", "dtype", "device", "chat_template_hash"}
    assert set(res["settings"]) >= {"mode", "prompt_hash", "prompt_format", "batch_size", "seed", "limit"}
    assert set(res["metrics"]["per_config"]["TT"]) == {"acc", "acc_norm", "n", "n_na", "stderr", "ci95", "ci95_norm"}
    assert res["provenance"]["timings"]["computed"] == 48


def test_acc_norm_divides_by_candidate_bytes():
    from iitbench.data.types import Item, TextPart, Turn
    from iitbench.models.protocol import ChoiceResult
    from iitbench.runner.engine import TurnTask

    turn = Turn(kind="T", source="s", parts=(TextPart("q"),), choices=("aaaa", "é"), answer=1)
    item = Item(id="i", config="T", turns=(turn,), scored_turn=0)
    task = TurnTask(item=item, turn=0, messages=(), choices=("aaaa", "é"))  # "é" is 2 bytes
    rec = make_record(task, "teacher-forced", ChoiceResult(logliks=(-4.0, -3.0), n_tokens=(1, 1)), None)
    assert rec["prediction"] == 1 and rec["prediction_norm"] == 0  # -1.0 per byte beats -1.5
    assert rec["correct"] is True and rec["correct_norm"] is False


def test_damage_before_the_last_line_is_a_data_error(small_ds, tmp_path):
    from iitbench.errors import DataError

    run = tmp_path / "r"
    _run(ContextAdapter(), small_ds, run)
    lines = (run / "samples.jsonl").read_bytes().splitlines(keepends=True)
    (run / "samples.jsonl").write_bytes(lines[0] + b"{not json\n" + b"".join(lines[1:]))
    with pytest.raises(DataError, match=r"samples.jsonl:2: malformed record"):
        _run(ContextAdapter(), small_ds, run)
