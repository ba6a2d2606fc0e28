"""`paper-mm` offline: the zoo's three models run the whole multimodal suite on the synthetic twins, and the report
shows the paper-style table (text forgetting next to each benchmark's own metrics) with paired comparisons."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iitbench import api
from iitbench.cli.main import main
from iitbench.data.manifest import load_dataset_dir
from iitbench.errors import UserError
from iitbench.mmsuite import BENCHMARKS
from iitbench.mmsuite.compare import compare_runs, paired_benchmark
from tests.mmsuite.table_adapter import TableAdapter
from tests.mmsuite.test_metrics import MME_PICKS

ZOO = ("base-tiny", "llava-tiny", "wings-tiny")


@pytest.fixture(scope="module")
def zoo_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("paper_mm")
    mp = pytest.MonkeyPatch()
    mp.setenv("IITBENCH_CACHE", str(root / "cache"))  # the synthetic twins are built here, once
    try:
        runs = {m: api.evaluate_suites(m, ["paper-mm"], limit=8, output=root / m, progress=False) for m in ZOO}
        forgetting = {m: api.forgetting(m, "base-tiny", limit=4, n_boot=200, output=root / f"fg-{m}",
                                        progress=False).out_dir for m in ZOO[1:]}
    finally:
        mp.undo()
    return root, runs, forgetting


def test_paper_mm_runs_every_benchmark_offline_with_its_own_metric_names(zoo_runs):
    _, runs, _ = zoo_runs
    for model in ZOO:
        assert sorted(runs[model]) == sorted(BENCHMARKS)
    wings = runs["wings-tiny"]
    assert set(wings["mme"].metrics["benchmark"]) >= {"perception", "cognition", "per_category"}
    assert set(wings["hallusionbench"].metrics["benchmark"]) >= {"aAcc", "fAcc", "qAcc"}
    for name in ("scienceqa-img", "mmbench-en", "mmbench-cn"):
        assert wings[name].metrics["benchmark"]["accuracy"] is not None
    assert wings["mme"].results["data"]["name"] == "mme-synth"  # the twin is labelled, never passed off as real
    # a text-only model cannot take the image questions: n/a, not a score
    assert runs["base-tiny"]["mme"].metrics["overall"]["n"] == 0


def test_report_shows_the_paper_table_for_the_zoo(zoo_runs, tmp_path):
    root, runs, forgetting = zoo_runs
    dirs = [r.run_dir for m in ZOO for r in runs[m].values()] + list(forgetting.values())
    md = api.report(dirs).markdown
    section = md[md.index("Text forgetting and the multimodal benchmarks"):]
    table = [line for line in section.splitlines() if line.startswith("| ")]
    assert "MME perception" in table[0] and "HallusionBench aAcc" in table[0] and "MMBench-CN" in table[0]
    rows = {line.split("|")[1].strip(): line for line in table[1:4]}  # after the header (the separator starts with |-)
    assert set(rows) == set(ZOO)
    wings_mme = runs["wings-tiny"]["mme"].metrics["benchmark"]["perception"]
    assert f"{wings_mme:.1f}\\*" in rows["wings-tiny"]  # starred (escaped in Markdown): a synthetic twin
    assert "n/a" in rows["base-tiny"]
    fg = json.loads((forgetting["wings-tiny"] / "forgetting.json").read_text())["comparison"]["overall"]
    assert f"{100 * fg['delta']:+.1f}" in rows["wings-tiny"]
    # the paired comparison of the two MLLMs on each benchmark (the text-only model answered nothing: left out)
    assert "llava-tiny − wings-tiny" in section and "base-tiny −" not in section
    assert "image within category" in section and "question set" in section


def test_cli_report_writes_the_paper_table(zoo_runs, tmp_path):
    _, runs, _ = zoo_runs
    out = tmp_path / "report.md"
    assert main(["report", *[str(r.run_dir) for r in runs["wings-tiny"].values()], "--out", str(out)]) == 0
    assert "Text forgetting and the multimodal benchmarks" in out.read_text()


def test_paired_comparison_is_reproducible_and_brackets_the_difference(mm_built, tmp_path):
    gold_picks = {it.id: it.turns[0].answer for it in load_dataset_dir(mm_built["mme"]).items}  # all right
    a = api.evaluate(TableAdapter(MME_PICKS), mm_built["mme"], output=tmp_path / "a", progress=False)
    b = api.evaluate(TableAdapter(gold_picks), mm_built["mme"], output=tmp_path / "b", progress=False)
    assert b.metrics["benchmark"]["perception"] == 200.0
    cmp = api.compare_benchmark(a.run_dir, b.run_dir, n_boot=300, seed=1)
    assert cmp == compare_runs(a.run_dir, b.run_dir, n_boot=300, seed=1)
    perception = cmp["metrics"]["perception"]
    assert perception["delta"] == -75.0 and perception["ci95"][0] <= -75.0 <= perception["ci95"][1]
    assert cmp["metrics"]["cognition"] == {"a": 200.0, "b": 200.0, "delta": 0.0, "ci95": [0.0, 0.0]}
    assert cmp["bootstrap"]["unit"] == "image within category" and cmp["n_units"] == 4
    same = compare_runs(a.run_dir, a.run_dir, n_boot=100)
    assert all(v["delta"] == 0.0 and v["ci95"] == [0.0, 0.0] for v in same["metrics"].values())


def test_bootstrap_copies_of_a_unit_stay_separate_groups():
    # one question set, both figures right for A and wrong for B: every draw holds copies of that one set, and
    # fAcc / qAcc stay 100 vs 0 only if copies do not merge into one group with the original
    meta = {f"q{f}{q}": {"category": "VD", "subcategory": "s", "set_id": "0", "figure_id": str(f),
                         "question_id": str(q)} for f in (1, 2) for q in (0, 1)}
    meta["z"] = {"category": "VD", "subcategory": "t", "set_id": "9", "figure_id": "1", "question_id": "0"}
    ra = [{"id": k, "scored": True, "status": "ok", "correct": True} for k in meta]
    rb = [{"id": k, "scored": True, "status": "ok", "correct": k == "z"} for k in meta]
    out = paired_benchmark("hallusionbench", ra, rb, meta, n_boot=200, seed=0)
    lo, hi = out["metrics"]["fAcc"]["ci95"]
    assert out["metrics"]["fAcc"]["delta"] == pytest.approx(100 * 2 / 3, abs=1e-3) and 0.0 <= lo <= hi <= 100.0
    assert out["n_units"] == 2


def test_compare_refuses_runs_of_different_benchmarks(mm_built, tmp_path):
    a = api.evaluate(TableAdapter(MME_PICKS), mm_built["mme"], output=tmp_path / "a", progress=False)
    sq = api.evaluate(TableAdapter({"scienceqa-img/test/0": 0, "scienceqa-img/test/1": 0, "scienceqa-img/test/3": 0}),
                      mm_built["scienceqa-img"], output=tmp_path / "s", progress=False)
    with pytest.raises(UserError, match="not runs of the same multimodal benchmark"):
        compare_runs(a.run_dir, sq.run_dir)
    assert isinstance(a.run_dir, Path)
