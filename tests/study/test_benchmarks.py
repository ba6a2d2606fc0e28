"""Per-benchmark forgetting table and the Pareto frontier of text kept vs vision learnt (iitbench/study/benchmarks.py)."""

from __future__ import annotations

from iitbench.study.benchmarks import base_row, benchmark_table, frontier, has_benchmarks, pareto_plot
from iitbench.study.tables import ModelRow


def _cmp(delta, acc_b, ci=(-0.1, 0.1), cluster=None):
    out = {"delta": delta, "acc_b": acc_b, "delta_ci95": list(ci)}
    if cluster:
        out["delta_ci95_cluster"] = list(cluster)
    return out


def _row(name, mm, delta, mmlu_delta):
    comparison = {"overall": _cmp(delta, 0.5, cluster=(delta - 0.2, delta + 0.2)),
                  "per_task": {"mmlu": _cmp(mmlu_delta, 0.3, cluster=(-0.3, 0.2)), "piqa": _cmp(delta, 0.66)},
                  "per_category": {"mmlu/stem": _cmp(mmlu_delta, 0.25)}}
    return ModelRow(name=name, info={"mm_acc": mm, "variant": name, "base": "smollm2-135m"},
                    forgetting={"comparison": comparison})


def test_frontier_keeps_only_undominated_models():
    points = [(40.0, -10.0, "naive"), (30.0, -1.0, "wings"), (35.0, -12.0, "worse"), (30.0, -1.0, "tie"),
              (25.0, 0.0, "base")]
    assert frontier(points) == ["naive", "wings", "tie", "base"]  # "worse" loses to naive on both axes


def test_benchmark_table_uses_the_clustered_ci_where_mmlu_is_in_the_group(tmp_path):
    rows = [_row("real-naive", 0.45, -0.12, -0.05), _row("real-wings", 0.38, -0.01, 0.02)]
    assert has_benchmarks(rows)
    head, body = benchmark_table(rows)
    assert head[:5] == ["model", "variant", "text Δ (pts) [95% CI]", "MMLU Δ", "PIQA Δ"]
    assert head[5] == "MMLU stem Δ"
    assert body[0][2] == "-12.0 [-32.0, +8.0]"  # overall: the clustered interval
    assert body[0][3] == "-5.0 [-30.0, +20.0]" and body[0][4] == "-12.0 [-10.0, +10.0]"
    assert base_row(rows) == (["base LLM", "MMLU", "PIQA", "MMLU stem"], ["smollm2-135m", "30.0", "66.0", "25.0"])
    assert pareto_plot(rows, tmp_path / "p.png").stat().st_size > 0
    one = [ModelRow(name="x", info={}, forgetting={"comparison": {"per_task": {"synth.arith": {}}}})]
    assert not has_benchmarks(one) and pareto_plot(one, tmp_path / "q.png") is None
