"""Subject-clustered intervals (MMLU) in run metrics and in paired forgetting."""

from __future__ import annotations

import numpy as np
import pytest

from iitbench.metrics import compute_metrics
from iitbench.metrics.clustered import cluster_bootstrap_ci, cluster_of
from iitbench.metrics.forgetting import paired_forgetting


def _rec(i, correct, source="mmlu", subject=None, category=None, norm=None):
    return {"id": f"{source}-{i}", "turn": 0, "scored": True, "status": "ok", "config": "T", "position": "no-image",
            "source": source, "correct": correct, "correct_norm": correct if norm is None else norm,
            "prediction": 0 if correct else 1, "prediction_norm": 0, "subject": subject, "category": category}


def _mmlu(n_subjects=20, per=10, seed=0):
    """Subjects that are all right or all wrong: a strongly clustered benchmark."""
    rng = np.random.default_rng(seed)
    out = []
    for s in range(n_subjects):
        good = bool(rng.integers(0, 2))
        cat = "stem" if s % 2 else "humanities"
        out += [_rec(f"{s}-{j}", good, subject=f"sub{s}", category=cat) for j in range(per)]
    return out


def test_cluster_ci_is_wider_than_the_item_ci_when_subjects_move_together():
    recs = _mmlu()
    m = compute_metrics(recs)["per_source"]["mmlu"]
    item_width = m["ci95"][1] - m["ci95"][0]
    cluster_width = m["ci95_cluster"][1] - m["ci95_cluster"][0]
    assert m["n_clusters"] == 20
    assert cluster_width > 1.8 * item_width  # 10 identical items per subject: ~sqrt(10) wider


def test_per_category_groups_and_flat_benchmarks_stay_unclustered():
    recs = _mmlu() + [_rec(i, i % 2 == 0, source="arc_easy") for i in range(30)]
    m = compute_metrics(recs)
    assert set(m["per_category"]) == {"mmlu/stem", "mmlu/humanities"}
    assert m["per_category"]["mmlu/stem"]["n"] == 100
    assert "ci95_cluster" not in m["per_source"]["arc_easy"]  # Wilson only: its items are independent
    assert m["overall"]["n_clusters"] == 20 + 30  # MMLU by subject, ARC item by item
    assert cluster_of(recs[-1]) == "arc_easy-29#0"


def test_cluster_ci_equals_item_bootstrap_when_every_cluster_is_one_item():
    vals = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0]
    lo, hi = cluster_bootstrap_ci(vals, [str(i) for i in range(10)], n_boot=4000, seed=3)
    assert lo < 0.6 < hi and 0.2 < lo < 0.45 and 0.75 < hi <= 0.95
    with pytest.raises(ValueError):
        cluster_bootstrap_ci(vals, ["a"], n_boot=10)


def test_paired_forgetting_has_categories_clustered_deltas_and_norm():
    base = _mmlu(seed=1)
    mllm = [dict(r, correct=r["correct"] and r["subject"] not in ("sub1", "sub3"),
                 correct_norm=not r["correct"]) for r in base]
    out = paired_forgetting(mllm, base, n_boot=500)
    mm = out["per_task"]["mmlu"]
    assert mm["delta"] < 0 and mm["n_clusters"] == 20
    ci, cl = mm["delta_ci95"], mm["delta_ci95_cluster"]
    assert (cl[1] - cl[0]) > (ci[1] - ci[0])
    assert set(out["per_category"]) == {"mmlu/stem", "mmlu/humanities"}
    assert out["overall_norm"]["n"] == out["overall"]["n"] == 200
    assert out["per_task_norm"]["mmlu"]["delta"] != mm["delta"]
