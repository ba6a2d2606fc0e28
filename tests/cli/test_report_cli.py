import json

import pytest

from iitbench.cli.main import main
from tests.runner.dataset_factory import make_dataset


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    ds = make_dataset(root / "ds", per_config=3)
    for model, mode in (("dummy", "teacher-forced"), ("random", "free-running")):
        assert main(["run", "--model", model, "--suite", str(ds), "--mode", mode, "--output",
                     str(root / model), "--no-progress"]) == 0
    return root


def test_report_compares_runs_per_config(runs, capsys):
    capsys.readouterr()
    assert main(["report", str(runs / "dummy"), str(runs / "random")]) == 0
    text = capsys.readouterr().out
    assert "| config | [1] dummy (teacher-forced) | [2] random (free-running) |" in text
    res = json.loads((runs / "dummy" / "results.json").read_text())
    acc = res["metrics"]["per_config"]["TT"]
    lo, hi = acc["ci95"]
    assert f"| TT | {100 * acc['acc']:.1f} ± {50 * (hi - lo):.1f} |" in text
    assert "- [2] " in text and "mode free-running" in text and "source score" in text


def test_report_writes_markdown_file(runs, tmp_path):
    out = tmp_path / "r.md"
    assert main(["report", str(runs / "dummy"), "--out", str(out)]) == 0
    assert out.read_text().startswith("# IIT accuracy (%)")


def test_report_recomputes_an_interrupted_run_from_samples(runs, tmp_path, capsys):
    import shutil

    cut = tmp_path / "cut"
    shutil.copytree(runs / "random", cut)
    (cut / "results.json").unlink()
    lines = (cut / "samples.jsonl").read_text().splitlines(keepends=True)
    (cut / "samples.jsonl").write_text("".join(lines[:10]) + lines[10][:20])  # torn last line
    capsys.readouterr()
    assert main(["report", str(cut)]) == 0
    text = capsys.readouterr().out
    assert "partial: recomputed from samples.jsonl" in text and "random (free-running)" in text


def test_report_of_missing_dir_exits_2(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope")]) == 2
    assert "not a run directory" in capsys.readouterr().err


def test_report_of_empty_dir_exits_2(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "neither results.json nor samples.jsonl" in capsys.readouterr().err


def test_recomputed_metrics_equal_the_recorded_ones(runs):
    from iitbench.report import load_run

    for name in ("dummy", "random"):
        recorded = load_run(runs / name)
        assert load_run(runs / name, recompute=True).metrics == recorded.metrics and not recorded.partial
