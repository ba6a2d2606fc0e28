"""Accuracy tables from sample records: per config, per scored-turn position, per source, per turn, overall.

A pure function of the records of `samples.jsonl` (each record carries its config, position and source), so a
run can be re-scored without its model. Only applicable ("ok") records count in `n`; "n/a" ones are counted apart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from iitbench.metrics.clustered import accuracy_cluster_cis, has_clusters
from iitbench.metrics.stats import mean_stderr, wilson_interval
from iitbench.schema import SampleRecord

Record = SampleRecord  # one line of samples.jsonl


class _Tally:
    __slots__ = ("n", "correct", "correct_norm", "n_na")

    def __init__(self) -> None:
        self.n = self.correct = self.correct_norm = self.n_na = 0

    def add(self, rec: Record) -> None:
        if rec.get("status") != "ok":
            self.n_na += 1
            return
        self.n += 1
        self.correct += bool(rec.get("correct"))
        self.correct_norm += bool(rec.get("correct_norm"))

    def summary(self) -> dict[str, Any]:
        ci = wilson_interval(self.correct, self.n)
        return {
            "acc": self.correct / self.n if self.n else None,
            "acc_norm": self.correct_norm / self.n if self.n else None,
            "n": self.n,
            "n_na": self.n_na,
            "stderr": mean_stderr(self.correct, self.n),
            "ci95": list(ci) if ci else None,
        }


def _group(records: Iterable[Record], key: Callable[[Record], str],
           order: Callable[[str], Any] = str) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[Record]] = defaultdict(list)
    for rec in records:
        groups[key(rec)].append(rec)
    return {k: accuracy(groups[k]) for k in sorted(groups, key=order)}


def accuracy(records: Iterable[Record]) -> dict[str, Any]:
    """acc, acc_norm, n, n_na, stderr, ci95 of a set of records (all of them count); with subject-clustered
    records (MMLU) also the cluster-bootstrap intervals of acc and acc_norm (`iitbench.metrics.clustered`)."""
    records = list(records)
    tally = _Tally()
    for rec in records:
        tally.add(rec)
    out = tally.summary()
    out["ci95_norm"] = list(ci) if (ci := wilson_interval(tally.correct_norm, tally.n)) else None
    if has_clusters(records):
        out.update(accuracy_cluster_cis(records))
    return out


def compute_metrics(records: Iterable[Record]) -> dict[str, Any]:
    """The deterministic `metrics` block of results.json.

    per_config / per_position / per_source / overall use the scored turn of each item; per_turn groups every
    record by its turn index (in free-running mode every turn is scored, so it shows drift along the dialogue);
    per_category (only when records carry categories, as MMLU's do) groups by "<source>/<category>".
    Keys are sorted so the output is byte-stable.
    """
    records = list(records)
    scored = [r for r in records if r.get("scored")]
    out = {
        "per_config": _group(scored, lambda r: str(r["config"])),
        "per_position": _group(scored, lambda r: str(r["position"])),
        "per_source": _group(scored, lambda r: str(r["source"])),
        "per_turn": _group(records, lambda r: str(r["turn"]), order=int),
        "overall": accuracy(scored),
    }
    categorised = [r for r in scored if r.get("category")]
    if categorised:
        out["per_category"] = _group(categorised, lambda r: f"{r['source']}/{r['category']}")
    return out
