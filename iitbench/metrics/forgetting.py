"""Text forgetting as a pure function of two runs' sample records: the MLLM vs its base LLM, item by item.

Records are paired on (item id, turn) of scored, applicable turns; a pair exists only when both models answered
the item. Grouped per task (the scored turn's source, e.g. "synth.arith" or "mmlu"), per category when the records
carry one (MMLU's four: "mmlu/stem", ...) and overall. Where MMLU's subject-clustered records are in a group, its
delta also gets a cluster-bootstrap CI (`iitbench.metrics.clustered`): the item-level one is too narrow there.
The same comparisons on acc_norm (length-normalised predictions) are under `*_norm`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from iitbench.metrics.clustered import cluster_bootstrap_ci, cluster_of, has_clusters
from iitbench.metrics.paired import compare_paired
from iitbench.schema import SampleRecord

Record = SampleRecord  # one line of samples.jsonl


def _scored(records: Iterable[Record]) -> dict[tuple[str, int], Record]:
    return {(r["id"], r["turn"]): r for r in records if r.get("scored") and r.get("status") == "ok"}


def paired_forgetting(mllm: Iterable[Record], base: Iterable[Record], n_boot: int = 2000,
                      seed: int = 0) -> dict[str, Any]:
    """{"per_task": {task: comparison}, "overall": comparison, "n_unpaired": {...}}; delta = MLLM - base.
    With categorised records also "per_category"; "per_task_norm" / "overall_norm" compare acc_norm."""
    a, b = _scored(mllm), _scored(base)
    keys = sorted(set(a) & set(b))
    groups: dict[str, list[tuple[str, int]]] = defaultdict(list)
    categories: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for k in keys:
        groups[a[k]["source"]].append(k)
        if a[k].get("category"):
            categories[f"{a[k]['source']}/{a[k]['category']}"].append(k)

    def compare(ks: list[tuple[str, int]], norm: bool = False) -> dict[str, Any]:
        field, pred = ("correct_norm", "prediction_norm") if norm else ("correct", "prediction")
        out = compare_paired([a[k][field] for k in ks], [b[k][field] for k in ks], [a[k][pred] for k in ks],
                             [b[k][pred] for k in ks], n_boot=n_boot, seed=seed).to_json()
        if has_clusters([a[k] for k in ks]):
            diff = [float(bool(a[k][field])) - float(bool(b[k][field])) for k in ks]
            ci = cluster_bootstrap_ci(diff, [cluster_of(a[k]) for k in ks], n_boot=n_boot, seed=seed)
            out["delta_ci95_cluster"] = list(ci) if ci else None
            out["n_clusters"] = len({cluster_of(a[k]) for k in ks})
        return out

    # acc_norm needs both records' length-normalised predictions (compact records, e.g. the zoo cards', lack them)
    with_norm = all("correct_norm" in a[k] and "correct_norm" in b[k] for k in keys)
    result = {
        "per_task": {task: compare(ks) for task, ks in sorted(groups.items())},
        "overall": compare(keys),
        **({"per_task_norm": {task: compare(ks, norm=True) for task, ks in sorted(groups.items())},
            "overall_norm": compare(keys, norm=True)} if with_norm else {}),
        "n_unpaired": {"mllm_only": len(set(a) - set(b)), "base_only": len(set(b) - set(a))},
        "bootstrap": {"n_boot": n_boot, "seed": seed, "unit": "item", "interval": "percentile 95%",
                      "cluster_unit": "subject (MMLU), else item"},
    }
    if categories:
        result["per_category"] = {c: compare(ks) for c, ks in sorted(categories.items())}
        if with_norm:
            result["per_category_norm"] = {c: compare(ks, norm=True) for c, ks in sorted(categories.items())}
    return result
