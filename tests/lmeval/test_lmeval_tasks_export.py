"""The IIT-synth text families exported as lm-eval tasks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from iitbench.errors import UserError
from iitbench.lmeval.tasks import GROUP, export_synth_tasks, task_name
from iitbench.runner.render import LETTER_INSTRUCTION, PromptFormat
from iitbench.sources.synth import load_synth

FAMILIES = ("arith", "world", "logic")


def test_exported_tasks_and_group_are_indexed_by_task_manager(tasks_dir):
    from lm_eval.tasks import TaskManager

    tm = TaskManager(include_path=str(tasks_dir))
    assert GROUP in tm.all_groups
    for family in FAMILIES:
        assert task_name(family) in tm.all_tasks


def test_data_files_are_absolute_and_the_yaml_is_multiple_choice(tasks_dir):
    cfg = yaml.safe_load((tasks_dir / f"{task_name('arith')}.yaml").read_text())
    data = Path(cfg["dataset_kwargs"]["data_files"]["test"])
    assert data.is_absolute() and data.is_file()
    assert cfg["dataset_path"] == "json" and cfg["output_type"] == "multiple_choice"
    assert (cfg["doc_to_text"], cfg["doc_to_choice"], cfg["doc_to_target"]) == ("prompt", "letters", "gold")


def test_prompt_is_the_runners_single_turn_text(tasks_dir):
    docs = [json.loads(line) for line in (tasks_dir / "data" / "arith.jsonl").read_text().splitlines()]
    questions = load_synth("test", n_per_family=3, seed=0, kinds=("T",), families=["arith"])
    assert [d["id"] for d in docs] == [q.id for q in questions]
    for d, q in zip(docs, questions):
        options = "".join(f"\n{letter}. {c}" for letter, c in zip("ABCD", q.choices))
        assert d["prompt"] == q.text + options + LETTER_INSTRUCTION
        assert d["prompt"].endswith(PromptFormat().instruction)
        assert d["letters"] == ["A", "B", "C", "D"] and d["gold"] == q.answer


def test_same_seed_gives_same_data_bytes_and_another_seed_differs(tmp_path):
    a = export_synth_tasks(tmp_path / "a", seed=3, n_per_family=2, families=["arith"])
    b = export_synth_tasks(tmp_path / "b", seed=3, n_per_family=2, families=["arith"])
    c = export_synth_tasks(tmp_path / "c", seed=4, n_per_family=2, families=["arith"])
    read = lambda ex: (ex.root / "data" / "arith.jsonl").read_bytes()  # noqa: E731
    assert read(a) == read(b) != read(c)
    assert a.tasks == ("iitsynth_text_arith",)


def test_unknown_family_and_bad_count_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="unknown text family"):
        export_synth_tasks(tmp_path, families=["nope"])
    with pytest.raises(UserError, match="n-per-family"):
        export_synth_tasks(tmp_path, n_per_family=0)


def test_export_command_writes_the_group(tmp_path, capsys):
    import argparse

    from iitbench.cli.export_lmeval import ExportLmEvalCommand

    cmd = ExportLmEvalCommand()
    p = argparse.ArgumentParser()
    cmd.add_arguments(p)
    assert cmd.run(p.parse_args(["--out", str(tmp_path / "t"), "--n-per-family", "1"])) == 0
    assert (tmp_path / "t" / f"{GROUP}.yaml").is_file()
    assert "iitsynth_text" in capsys.readouterr().out
