"""Session fixtures for the report tests: two IIT runs (dummy, random), one with a model name holding HTML, a
forgetting directory, a real LAWS directory from the tiny WINGS, and three more LAWS + forgetting pairs derived from
them (so the shift-vs-forgetting scatter has its 3 models), and a forgetting directory with images for the sample
browser."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.runner.dataset_factory import make_dataset

EVIL = "<b>evil</b> & co"


@dataclass(frozen=True)
class Dirs:
    runs: tuple[Path, ...]  # dummy, random (free-running), evil-named copy of dummy
    forgetting: Path
    laws: Path
    derived_laws: tuple[Path, ...]  # three models, each with a matching forgetting dir
    derived_forgetting: tuple[Path, ...]


def _derive(root: Path, laws: Path, forgetting: Path) -> tuple[list[Path], list[Path]]:
    summary = json.loads((laws / "laws_summary.json").read_text())
    fsum = json.loads((forgetting / "forgetting.json").read_text())
    ldirs, fdirs = [], []
    for i, (shift, delta) in enumerate([(0.2, -0.01), (0.6, -0.05), (1.1, -0.12)]):
        name = f"mllm-{i}"
        d, f = root / f"laws-{name}", root / f"forgetting-{name}"
        d.mkdir()
        f.mkdir()
        s = {**summary, "model": {**summary["model"], "name": name, "fingerprint": f"fp-{i}"},
             "shift": {**summary["shift"], "value": shift, "lo": shift - 0.1, "hi": shift + 0.1}}
        (d / "laws_summary.json").write_text(json.dumps(s))
        overall = {**fsum["comparison"]["overall"], "delta": delta, "delta_ci95": [delta - 0.03, delta + 0.03]}
        fs = {**fsum, "models": {**fsum["models"], "mllm": {**fsum["models"]["mllm"], "name": name,
                                                           "fingerprint": f"fp-{i}"}},
              "comparison": {**fsum["comparison"], "overall": overall}}
        (f / "forgetting.json").write_text(json.dumps(fs))
        ldirs.append(d)
        fdirs.append(f)
    return ldirs, fdirs


@pytest.fixture(scope="session")
def dirs(tmp_path_factory) -> Dirs:
    from iitbench.cli.main import main
    from tests.fixtures.tiny_wings import make_tiny_wings

    root = tmp_path_factory.mktemp("report_inputs")
    ds = make_dataset(root / "ds", per_config=4)
    for model, mode in (("dummy", "teacher-forced"), ("random", "free-running")):
        assert main(["run", "--model", model, "--suite", str(ds), "--mode", mode, "--output", str(root / model),
                     "--no-progress"]) == 0
    evil = root / "evil"
    shutil.copytree(root / "dummy", evil)
    res = json.loads((evil / "results.json").read_text())
    res["model"]["name"] = EVIL
    (evil / "results.json").write_text(json.dumps(res))
    text = make_dataset(root / "text", per_config=6, configs=("T", "TT"))
    assert main(["forgetting", "--model", "dummy", "--base", "random", "--suite", str(text), "--output",
                 str(root / "fg"), "--n-boot", "200", "--no-progress"]) == 0
    wings = make_tiny_wings(root / "wings")
    lds = make_dataset(root / "images", per_config=2, configs=("TV", "TTV"))  # text before and after images
    assert main(["laws", "--model", f"wings:{wings}", "--data", str(lds), "--n-boot", "200",
                 "--output", str(root / "laws")]) == 0
    ldirs, fdirs = _derive(root, root / "laws", root / "fg")
    return Dirs(runs=(root / "dummy", root / "random", evil), forgetting=root / "fg", laws=root / "laws",
                derived_laws=tuple(ldirs), derived_forgetting=tuple(fdirs))


@pytest.fixture(scope="session")
def browser_fg(tmp_path_factory) -> Path:
    """A forgetting directory over a dataset with images in every config: 36 scored items, two pages of 20."""
    from iitbench.cli.main import main

    root = tmp_path_factory.mktemp("browser_inputs")
    ds = make_dataset(root / "ds", per_config=6)
    assert main(["forgetting", "--model", "dummy", "--base", "random", "--suite", str(ds), "--output",
                 str(root / "fg"), "--n-boot", "200", "--no-progress"]) == 0
    return root / "fg"
