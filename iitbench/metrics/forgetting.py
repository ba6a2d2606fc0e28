"""Text forgetting as a pure function of two runs' sample records: the MLLM vs its base LLM, item by item.

Records are paired on (item id, turn) of scored, applicable turns; a pair exists only when both models answered
the item. Grouped per task (the scored turn's source, e.g. "synth.arith" or "mmlu") and overall.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from iitbench.metrics.paired import PairedComparison, compare_paired
from iitbench.schema import SampleRecord

Record = SampleRecord  # one line of samples.jsonl


def _scored(records: Iterable[Record]) -> dict[tuple[str, int], Record]:
    return {(r["id"], r["turn"]): r for r in records if r.get("scored") and r.get("status") == "ok"}


def paired_forgetting(mllm: Iterable[Record], base: Iterable[Record], n_boot: int = 2000,
                      seed: int = 0) -> dict[str, Any]:
    """{"per_task": {task: comparison}, "overall": comparison, "n_unpaired": {...}}; delta = MLLM - base."""
    a, b = _scored(mllm), _scored(base)
    keys = sorted(set(a) & set(b))
    groups: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for k in keys:
        groups[a[k]["source"]].append(k)

    def compare(ks: list[tuple[str, int]]) -> PairedComparison:
        return compare_paired([a[k]["correct"] for k in ks], [b[k]["correct"] for k in ks],
                              [a[k]["prediction"] for k in ks], [b[k]["prediction"] for k in ks],
                              n_boot=n_boot, seed=seed)

    return {
        "per_task": {task: compare(ks).to_json() for task, ks in sorted(groups.items())},
        "overall": compare(keys).to_json(),
        "n_unpaired": {"mllm_only": len(set(a) - set(b)), "base_only": len(set(b) - set(a))},
        "bootstrap": {"n_boot": n_boot, "seed": seed, "unit": "item", "interval": "percentile 95%"},
    }
