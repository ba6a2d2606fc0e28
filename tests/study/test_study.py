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
                 "predictors.md", "predictors.csv", "REPRODUCTION.md"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    models = (first / "models.csv").read_text().splitlines()
    assert models[0].startswith("model,method") and {line.split(",")[0] for line in models[1:]} == {"plain", "wings-a"}
    assert "content-include-sum" in (first / "laws.md").read_text()
    assert "| C1 |" in (first / "REPRODUCTION.md").read_text()


def test_included_model_lists_join_the_study_with_their_meta(tmp_path):
    (tmp_path / "real.yaml").write_text("meta: {family: real-llm}\n"
                                        "models:\n  - {name: r1, model: random, analyses: [iit], meta: {group: g}}\n")
    study = tmp_path / "s.yaml"
    study.write_text("name: x\noutput: o\ninclude: [real.yaml]\nmodels:\n  - {name: a, model: random, "
                     "analyses: [iit]}\n")
    loaded = load_study(study)
    assert [m.name for m in loaded.models] == ["a", "r1"]
    assert loaded.models[1].meta == {"family": "real-llm", "group": "g"}
    (tmp_path / "real.yaml").write_text("models:\n  - {name: a, model: random, analyses: [iit]}\n")
    with pytest.raises(UserError, match="unique"):
        load_study(study)


def test_the_diagnose_analysis_runs_through_iitbench_api_diagnose(tmp_path, monkeypatch, capsys):
    """Listed, it needs a base; without iitbench.api.diagnose the study refuses before any model runs; with it, each
    model's diagnose/diagnose.json is written once (resumable like the other jobs)."""
    import iitbench.api
    from iitbench.study import jobs

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\noutput: o\nmodels:\n  - {name: a, model: random, analyses: [diagnose]}\n")
    with pytest.raises(UserError, match="diagnose needs a base LLM"):
        load_study(bad)
    study = tmp_path / "s.yaml"
    study.write_text("name: x\noutput: o\nmodels:\n  - {name: a, model: random, base: random, "
                     "analyses: [diagnose]}\n")
    real = jobs.diagnose_api
    monkeypatch.setattr(jobs, "diagnose_api", lambda: None)  # an iitbench that predates iitbench/diagnose/
    assert main(["study", str(study)]) != 0
    assert "no iitbench.api.diagnose" in capsys.readouterr().err
    assert not (tmp_path / "o" / "a").exists()
    calls = []

    def fake(adapter, base, *, suite, iit_suite, limit, iit_limit, seed, n_boot, output, progress):
        calls.append(base)
        assert suite == "text"  # diagnose compares the models on text; the IIT suite only feeds mixing
        output.mkdir(parents=True, exist_ok=True)
        (output / "diagnose.json").write_text(json.dumps({"schema_version": 1, "summary": {
            "kl_mean": {"value": 0.25, "lo": 0.2, "hi": 0.3, "n": 10}, "mixing_mean": {"value": None}},
            "predictors": {"output_shift": {"status": "ok"}, "mixing": {"status": "not computable"}}}))

    monkeypatch.setattr(iitbench.api, "diagnose", fake, raising=False)
    monkeypatch.setattr(jobs, "diagnose_api", real)  # finds the function on iitbench.api
    assert main(["study", str(study)]) == 0 and main(["study", str(study)]) == 0
    assert calls == ["random"]
    from iitbench.study.tables import collect

    assert collect(tmp_path / "o")[0].diagnose == {"kl_mean": 0.25}


def test_laws_variants_take_the_query_restriction_and_keep_old_names(tmp_path):
    from iitbench.errors import UserError
    from iitbench.study.config import LawsVariant, load_study

    assert LawsVariant().key == "content-include-sum"  # the paper's definition: directory names unchanged
    assert LawsVariant(queries="after-image").key == "content-include-sum-after"
    assert LawsVariant(per_query_norm=True, queries="answer").key == "content-include-sum-pq-answer"
    bad = tmp_path / "s.yaml"
    bad.write_text("name: s\noutput: out\nlaws:\n  - {queries: before}\nmodels:\n  - {name: a, model: dummy, base: dummy}\n")
    with pytest.raises(UserError, match="queries 'before'"):
        load_study(bad)


def test_forgetting_reads_the_text_suite_and_scores_a_shared_base_once(setup, tmp_path, monkeypatch):
    """`text_suite`/`text_limit` choose forgetting's items (text-real on the real-LLM family); the base LLM is
    scored once per study and its run reused by every model with that base (the costly half on real text)."""
    import iitbench.runner

    root, wings, base, data = setup
    real = iitbench.runner.run_dataset
    computed = []

    def spy(adapter, dataset, settings, run_dir, **kw):
        outcome = real(adapter, dataset, settings, run_dir, **kw)
        computed.append((run_dir.parent.parent.name, run_dir.name, outcome.computed, settings.limit))
        return outcome

    monkeypatch.setattr(iitbench.runner, "run_dataset", spy)
    study = tmp_path / "s.yaml"
    study.write_text(f"name: x\noutput: o\nsuite: iit\nlimit: 5\ntext_suite: {data}\ntext_limit: 1\n"
                     "analyses: [forgetting]\nmodels:\n"
                     f"  - {{name: a, model: \"wings:{wings}\", base: \"hf-causal:{base}\"}}\n"
                     f"  - {{name: b, model: \"wings:{wings}\", base: \"hf-causal:{base}\"}}\n")
    assert load_study(study).text_limit == 1 and load_study(study).limit == 5
    assert main(["study", str(study)]) == 0
    assert [c[:2] for c in computed] == [("a", "mllm"), ("a", "base"), ("b", "mllm"), ("b", "base")]
    assert all(c[3] == 1 for c in computed)  # text_limit, not limit
    assert computed[1][2] == 3 and computed[3][2] == 0  # one item per config of 3 configs; b's base: all reused
    a, b = (json.loads((tmp_path / "o" / m / "forgetting" / "forgetting.json").read_text()) for m in "ab")
    assert a["comparison"]["overall"] == b["comparison"]["overall"]
    assert a["data"]["fingerprint"] == b["data"]["fingerprint"]
    assert (tmp_path / "o" / ".gitignore").read_text().count("_base/") == 1


def test_study_limits_must_be_positive_integers(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\noutput: o\ntext_limit: 0\nmodels:\n  - {name: a, model: random, analyses: [iit]}\n")
    with pytest.raises(UserError, match="text_limit must be a positive integer"):
        load_study(bad)
