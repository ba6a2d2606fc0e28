"""A throw-away plug-in package (the files of docs/plugin_example.md), really installed with pip (no network), is
listed by `iitbench models` and runs with `iitbench run --model overlap`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from iitbench.data.manifest import write_dataset
from iitbench.data.types import Item, TextPart, Turn

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "plugin_example.md"
FILE_BLOCK = re.compile(r"\*\*`([^`]+)`\*\*\s*\n+```\w*\n(.*?)```", re.S)


def _doc_files() -> dict[str, str]:
    return {name: body for name, body in FILE_BLOCK.findall(DOC.read_text(encoding="utf-8"))}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The example package built and installed into a private --target directory."""
    base = tmp_path_factory.mktemp("plugin")
    pkg, site = base / "iitbench-overlap", base / "site"
    for name, body in _doc_files().items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(body, encoding="utf-8")
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", "--quiet",
           "--disable-pip-version-check", "--target", str(site), str(pkg)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=base)
    assert done.returncode == 0, done.stderr[-2000:]
    return site


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("plugin_ds")
    items = [Item(id=f"T-{i}", config="T", scored_turn=0,
                  turns=(Turn(kind="T", source="test.t", parts=(TextPart(f"Which colour is the {c} sky?"),),
                              choices=("grass", f"{c} sky", "dog"), answer=1),))
             for i, c in enumerate(("blue", "grey", "red"))]
    write_dataset(root, items, name="plugin-ds", version="1", licences={"test": "CC0"}, build={"seed": 0})
    return root


def _iitbench(site: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    return subprocess.run([sys.executable, "-m", "iitbench", *args], capture_output=True, text=True, env=env,
                          timeout=120, cwd=site.parent)


def test_the_doc_holds_a_complete_package_with_a_30_line_adapter():
    files = _doc_files()
    assert set(files) == {"pyproject.toml", "setup.cfg", "iitbench_overlap/__init__.py"}
    assert "iitbench.models =" in files["setup.cfg"]
    code_lines = [ln for ln in files["iitbench_overlap/__init__.py"].splitlines() if ln.strip()]
    assert len(code_lines) <= 32


def test_iitbench_models_lists_the_installed_plug_in(installed):
    done = _iitbench(installed, "models")
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("overlap "))
    assert "plug-in iitbench-overlap" in line and "Word overlap" in line


def test_iitbench_run_scores_with_the_plug_in(installed, dataset, tmp_path):
    out = tmp_path / "run"
    done = _iitbench(installed, "run", "--model", "overlap", "--model-args", "penalty=0.5", "--suite", str(dataset),
                     "--candidates", "text", "--output", str(out), "--no-progress")
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((out / "results.json").read_text())
    assert results["model"]["name"] == "overlap" and results["model"]["args"] == {"penalty": 0.5}
    assert results["metrics"]["overall"]["acc"] == 1.0  # every word is in the prompt: 2 words beat 1
    samples = [json.loads(ln) for ln in (out / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == 3 and samples[0]["loglik"] == [0.5, 1.0, 0.5]


def test_the_plug_in_is_unknown_without_the_install(tmp_path, dataset):
    done = _iitbench(tmp_path, "run", "--model", "overlap", "--suite", str(dataset), "--output", str(tmp_path / "r"))
    assert done.returncode == 2 and "unknown model 'overlap'" in done.stderr
