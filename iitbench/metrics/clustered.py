"""Cluster bootstrap: confidence intervals that respect items which are not independent.

MMLU's questions come in 57 subjects; questions of one subject share a topic, a writer and a difficulty, so they
succeed or fail together and an item-level interval is too narrow (Miller, "Adding Error Bars to Evals",
arXiv 2411.00640, recommends clustered standard errors for such benchmarks). Here a record of a benchmark whose
subjects have categories (MMLU) belongs to the cluster of its subject; every other record is a cluster of its own,
so pooling MMLU with flat benchmarks clusters only MMLU. Whole clusters are resampled with replacement and the
statistic is the pooled mean (a ratio estimator: clusters of different sizes weigh by their items). Seeded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

N_BOOT = 2000


def cluster_of(rec: Any) -> str:
    """The subject cluster of a categorised record (MMLU), else the record's own (item, turn)."""
    if rec.get("category") and rec.get("subject"):
        return f"{rec['source']}/{rec['subject']}"
    return f"{rec['id']}#{rec['turn']}"


def has_clusters(records: Sequence[Any]) -> bool:
    return any(r.get("category") and r.get("subject") for r in records)


def cluster_bootstrap_ci(values: Sequence[float], clusters: Sequence[str], n_boot: int = N_BOOT, seed: int = 0,
                         alpha: float = 0.05) -> tuple[float, float] | None:
    """Percentile CI of the mean of `values` resampling whole clusters; None when there are no values."""
    if len(values) != len(clusters):
        raise ValueError(f"{len(values)} values but {len(clusters)} cluster labels")
    if not values:
        return None
    names = sorted(set(clusters))
    index = {c: i for i, c in enumerate(names)}
    sums = np.zeros(len(names))
    counts = np.zeros(len(names))
    for v, c in zip(values, clusters):
        sums[index[c]] += float(v)
        counts[index[c]] += 1
    rng = np.random.default_rng(seed)
    k = len(names)
    stats = np.empty(n_boot)
    chunk = max(1, 2_000_000 // k)  # bounded memory; the same draws as one big draw
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        idx = rng.integers(0, k, size=(stop - start, k))
        stats[start:stop] = sums[idx].sum(axis=1) / counts[idx].sum(axis=1)
    lo, hi = np.quantile(stats, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def accuracy_cluster_cis(records: Sequence[Any]) -> dict[str, Any]:
    """ci95_cluster (acc) and ci95_norm_cluster (acc_norm) of applicable records, with the number of clusters."""
    ok = [r for r in records if r.get("status") == "ok"]
    clusters = [cluster_of(r) for r in ok]
    acc = cluster_bootstrap_ci([float(bool(r.get("correct"))) for r in ok], clusters)
    norm = cluster_bootstrap_ci([float(bool(r.get("correct_norm"))) for r in ok], clusters)
    return {"ci95_cluster": list(acc) if acc else None, "ci95_norm_cluster": list(norm) if norm else None,
            "n_clusters": len(set(clusters))}


__all__ = ["N_BOOT", "accuracy_cluster_cis", "cluster_bootstrap_ci", "cluster_of", "has_clusters"]
