"""`iitbench build --benchmark NAME --source DIR|synth`: the dataset card names the benchmark, its origin and the rows
the loader skipped; bad input is one line and exit code 2."""

from __future__ import annotations

import json

import pytest

from iitbench.cli.main import main
from iitbench.data.manifest import load_dataset_dir


def test_build_from_a_local_tsv_records_benchmark_origin_and_skips(mm_data, tmp_path):
    out = tmp_path / "mme"
    assert main(["build", "--benchmark", "mme", "--source", str(mm_data["mme_tsv"].parent), "--out", str(out)]) == 0
    ds = load_dataset_dir(out)
    assert len(ds.items) == 7 and ds.card.build["benchmark"] == "mme" and ds.card.build["origin"] == "real"
    assert ds.card.build["skipped"] == {"answer not yes/no": 1}
    assert dict(ds.items[0].turns[0].meta)["answer_rule"] == "yes-no"


def test_build_synthetic_twin_has_the_grouping_shapes(tmp_path):
    out = tmp_path / "hb"
    assert main(["build", "--benchmark", "hallusionbench", "--source", "synth", "--per-config", "2", "--out",
                 str(out)]) == 0
    ds = load_dataset_dir(out)
    card = json.loads((out / "dataset_card.json").read_text()) if (out / "dataset_card.json").exists() else None
    assert ds.card.build["origin"] == "synthetic" and ds.card.name == "hallusionbench-synth", card
    metas = [dict(it.turns[0].meta) for it in ds.items]
    figures = {(m["set_id"], m["subcategory"], m["figure_id"]) for m in metas}
    questions = {(m["set_id"], m["subcategory"], m["question_id"]) for m in metas}
    # every question of a set is asked of both figures: 2 figures x 2 questions per set
    assert len(ds.items) == 2 * len(figures) == 2 * len(questions)


@pytest.mark.parametrize("argv,message", [
    (["--benchmark", "mmvet", "--source", "synth"], "unknown benchmark 'mmvet'"),
    (["--benchmark", "mme", "--source", "synth", "--circular"], "--circular: circular evaluation rotates MMBench"),
    (["--benchmark", "mme", "--source", "/no/such/dir"], "/no/such/dir"),
])
def test_bad_benchmark_builds_are_one_line_errors(argv, message, tmp_path, capsys):
    assert main(["build", *argv, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err
