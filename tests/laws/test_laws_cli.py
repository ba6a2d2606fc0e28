"""`iitbench laws` end to end on a tiny WINGS, the no-attention error, and `--compare` with forgetting results."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from iitbench.cli.laws import LawsCommand
from iitbench.errors import UserError
from iitbench.laws.protocol import LABEL_NAMES
from iitbench.laws.store import read_segments


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    command = LawsCommand()
    command.add_arguments(parser)
    return command.run(parser.parse_args(list(argv)))


@pytest.fixture(scope="module")
def laws_run(wings_dir, laws_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("laws_out")
    assert run_cli("--model", f"wings:{wings_dir}", "--data", str(laws_dataset), "--batch-size", "2",
                   "--n-boot", "200", "--output", str(out)) == 0
    return out


def test_cli_writes_npz_summary_and_plots(laws_run, laws_dataset):
    for name in ("laws.npz", "laws_summary.json", "laws_curves.png", "laws_curves.svg"):
        assert (laws_run / name).is_file()
    summary = json.loads((laws_run / "laws_summary.json").read_text())
    assert summary["settings"]["head_reduction"] == "sum" and summary["settings"]["backend"] == "auto"
    assert summary["n_samples"] == 2 and summary["n_used"] == 1 and summary["data"]["skipped_without_image"] == 1
    assert summary["excluded"] == {"count": 1, "reasons": {"no content text before the first image": 1}}
    assert len(summary["curves"]["before"]["mean"]) == summary["n_layers"] == 2
    assert summary["data"]["fingerprint"] and summary["model"]["fingerprint"] and summary["versions"]["torch"]
    with np.load(laws_run / "laws.npz") as data:
        assert list(data["keys"]) == ["tv#1", "v#0"]
        assert data["masses"].shape == (2, len(LABEL_NAMES), 2) and np.isnan(data["masses"][1]).all()
        assert data["token_counts"][0, 2] == 16  # image tokens of the tiny WINGS
    assert [s.excluded for s in read_segments(laws_run)][0] is None


@pytest.mark.parametrize("model", ["dummy", "random"])
def test_models_without_attention_exit_2(model, laws_dataset, tmp_path):
    with pytest.raises(UserError) as info:
        run_cli("--model", model, "--data", str(laws_dataset), "--output", str(tmp_path))
    assert info.value.exit_code == 2 and "attention" in str(info.value)


def test_compare_overlays_models_and_correlates_shift_with_forgetting(laws_run, tmp_path):
    dirs, fdirs = [], []
    summary = json.loads((laws_run / "laws_summary.json").read_text())
    for i, (shift, delta) in enumerate([(0.2, -0.01), (0.6, -0.05), (1.1, -0.12)]):
        d, f = tmp_path / f"m{i}", tmp_path / f"f{i}"
        d.mkdir()
        f.mkdir()
        s = {**summary, "model": {**summary["model"], "name": f"m{i}"},
             "shift": {**summary["shift"], "value": shift, "lo": shift - 0.1, "hi": shift + 0.1}}
        (d / "laws_summary.json").write_text(json.dumps(s))
        (f / "forgetting.json").write_text(json.dumps({"comparison": {"overall": {"delta": delta}}}))
        dirs.append(str(d))
        fdirs.append(str(f))
    out = tmp_path / "cmp"
    assert run_cli("--compare", *dirs, "--forgetting", *fdirs, "--n-boot", "200", "--output", str(out)) == 0
    report = json.loads((out / "laws_compare.json").read_text())
    assert report["forgetting"]["deltas"] == [-0.01, -0.05, -0.12]
    assert report["forgetting"]["pearson"]["value"] == pytest.approx(np.corrcoef([0.2, 0.6, 1.1],
                                                                                 [-0.01, -0.05, -0.12])[0, 1])
    for name in ("laws_compare.png", "laws_compare.svg", "laws_shift_vs_forgetting.png"):
        assert (out / name).is_file()
