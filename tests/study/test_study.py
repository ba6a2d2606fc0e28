"""`iitbench study`: a YAML of models x analyses, run in-process or through submitit's local executor; reruns skip
finished jobs."""

from __future__ import annotations

import json

import pytest

from iitbench.cli.main import main
from iitbench.errors import UserError
from iitbench.study.config import load_study
from tests.fixtures.tiny_lm import make_tiny_qwen2
from tests.fixtures.tiny_wings import make_tiny_wings
from tests.runner.dataset_factory import make_dataset


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    mp = pytest.MonkeyPatch()
    mp.setenv("IITBENCH_CACHE", str(root / "cache"))
    wings, base = make_tiny_wings(root / "wings"), make_tiny_qwen2(root / "base")
    data = make_dataset(root / "data", per_config=2, configs=("T", "TV", "TVT"))
    yield root, wings, base, data
    mp.undo()


def write_study(path, data, wings, base, executor="local"):
    path.write_text(f"""
name: tiny
output: out-{executor}
executor: {executor}
suite: {data}
limit: 2
n_boot: 100
laws: [{{segments: content, sinks: include}}, {{segments: all-text, sinks: exclude}}]
models:
  - {{name: wings-a, model: "wings:{wings}", base: "hf-causal:{base}", meta: {{method: wings}}}}
  - {{name: plain, model: random, analyses: [iit]}}
""")
    return path


@pytest.mark.parametrize("executor", ["local", "submitit-local"])
def test_a_study_runs_every_job_once_and_resumes(setup, executor, capsys):
    root, wings, base, data = setup
    study = write_study(root / f"{executor}.yaml", data, wings, base, executor)
    assert main(["study", str(study)]) == 0
    out = root / f"out-{executor}"
    for job in ("iit/results.json", "forgetting/forgetting.json", "laws-content-include-sum/laws_summary.json",
                "laws-all-text-exclude-sum/laws_summary.json", "model.json"):
        assert (out / "wings-a" / job).is_file(), job
    assert (out / "plain" / "iit" / "results.json").is_file() and not (out / "plain" / "forgetting").exists()
    assert json.loads((out / "wings-a" / "model.json").read_text())["method"] == "wings"
    summary = json.loads((out / "wings-a" / "laws-all-text-exclude-sum" / "laws_summary.json").read_text())
    assert summary["settings"]["sinks"] == "exclude" and summary["settings"]["segments"] == "all-text"
    stamp = (out / "wings-a" / "iit" / "results.json").stat().st_mtime_ns
    capsys.readouterr()
    assert main(["study", str(study)]) == 0
    assert "0 job(s) run" in capsys.readouterr().out
    assert (out / "wings-a" / "iit" / "results.json").stat().st_mtime_ns == stamp


def test_bad_study_files_are_one_line_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\noutput: o\nmodels:\n  - {name: a, model: random, analyses: [forgetting]}\n")
    with pytest.raises(UserError, match="forgetting needs a base LLM"):
        load_study(bad)
    bad.write_text("name: x\noutput: o\nexecutor: cloud\nmodels: []\n")
    with pytest.raises(UserError, match="executor 'cloud'"):
        load_study(bad)


def test_leaderboard_tables_are_written_and_reproducible(setup):
    root, wings, base, data = setup
    study = write_study(root / "lb.yaml", data, wings, base, "local")
    assert main(["study", str(study)]) == 0
    first, second = root / "lb1", root / "lb2"
    assert main(["leaderboard", str(root / "out-local"), "--out", str(first)]) == 0
    from iitbench.study.leaderboard import write_leaderboard

    write_leaderboard(root / "out-local", second, f"iitbench leaderboard {(root / 'out-local').as_posix()} "
                                                  f"--out {first.as_posix()}")
    for name in ("models.md", "models.csv", "laws.md", "laws.csv", "correlations.md", "correlations.csv",
                 "REPRODUCTION.md"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    models = (first / "models.csv").read_text().splitlines()
    assert models[0].startswith("model,method") and {line.split(",")[0] for line in models[1:]} == {"plain", "wings-a"}
    assert "content-include-sum" in (first / "laws.md").read_text()
    assert "| C1 |" in (first / "REPRODUCTION.md").read_text()
