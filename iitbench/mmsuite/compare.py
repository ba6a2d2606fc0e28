"""Paired comparison of two models on one of the paper's multimodal benchmarks: the difference of each headline metric
(MME perception / cognition, HallusionBench aAcc / fAcc / qAcc, accuracy) with a paired cluster-bootstrap 95% CI.

The metrics are not averages over independent items (acc+ pairs an image's two questions, fAcc / qAcc group
HallusionBench questions by figure and by question), so the bootstrap resamples the benchmark's own units, the same
draw for both models: MME images, within their category (a category score needs its category); HallusionBench
question sets (category_subcategory_set_id, which hold every figure and question group); MMBench circular groups;
otherwise items. A unit drawn twice enters as two units (its keys suffixed), so groups never merge across copies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from iitbench.errors import UserError
from iitbench.mmsuite.metrics import HEADLINE, METRICS

GROUP_KEYS = ("image_id", "set_id", "circular_of")  # meta fields that tie items together; suffixed per copy


def unit_of(name: str, item_id: str, meta: Mapping[str, Any]) -> tuple[str, str]:
    """(stratum, unit) of an item for the bootstrap."""
    if name == "mme":
        return str(meta["category"]), str(meta["image_id"])
    if name == "hallusionbench":
        return "", f"{meta['category']}_{meta['subcategory']}_{meta['set_id']}"
    return "", str(meta.get("circular_of") or item_id)


def _headline(name: str, records: Sequence[Mapping[str, Any]], meta: Mapping[str, Mapping[str, Any]]) -> dict:
    values = METRICS[name](records, meta)
    return {k: values.get(k) for k in HEADLINE[name]}


def paired_benchmark(name: str, records_a: Sequence[Mapping[str, Any]], records_b: Sequence[Mapping[str, Any]],
                     meta: Mapping[str, Mapping[str, Any]], n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Headline metrics of A and B on the items both scored, A - B, and its percentile 95% CI."""
    a = {r["id"]: r for r in records_a if r.get("scored")}
    b = {r["id"]: r for r in records_b if r.get("scored")}
    common = sorted(set(a) & set(b))
    if not common:
        raise UserError(f"{name}: the two runs share no scored item; compare runs of the same benchmark directory")
    units: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for item_id in common:
        stratum, unit = unit_of(name, item_id, meta[item_id])
        units[stratum][unit].append(item_id)
    point_a = _headline(name, [a[i] for i in common], meta)
    point_b = _headline(name, [b[i] for i in common], meta)
    rng = np.random.default_rng(seed)
    strata = [(s, list(units[s].values())) for s in sorted(units)]
    draws: dict[str, list[float]] = defaultdict(list)
    for _ in range(n_boot):
        rec_a, rec_b, boot_meta = [], [], {}
        for stratum, groups in strata:
            for copy, g in enumerate(rng.integers(0, len(groups), size=len(groups))):
                for item_id in groups[g]:
                    new_id = f"{item_id}~{stratum}~{copy}"
                    m = dict(meta[item_id])
                    for key in GROUP_KEYS:
                        if m.get(key) is not None:
                            m[key] = f"{m[key]}~{stratum}~{copy}"
                    boot_meta[new_id] = m
                    rec_a.append({**a[item_id], "id": new_id})
                    rec_b.append({**b[item_id], "id": new_id})
        ha, hb = _headline(name, rec_a, boot_meta), _headline(name, rec_b, boot_meta)
        for k in HEADLINE[name]:
            if ha[k] is not None and hb[k] is not None:
                draws[k].append(ha[k] - hb[k])
    out: dict[str, Any] = {"benchmark": name, "n_items": len(common), "n_units": sum(len(g) for _, g in strata),
                           "bootstrap": {"n_boot": n_boot, "seed": seed, "unit": unit_name(name),
                                         "interval": "percentile 95%"}, "metrics": {}}
    for k in HEADLINE[name]:
        va, vb = point_a[k], point_b[k]
        ci = [round(float(x), 4) for x in np.quantile(draws[k], [0.025, 0.975])] if draws[k] else None
        out["metrics"][k] = {"a": va, "b": vb, "delta": None if va is None or vb is None else round(va - vb, 4),
                             "ci95": ci}
    return out


def unit_name(name: str) -> str:
    return {"mme": "image within category", "hallusionbench": "question set"}.get(name, "item (circular group)")


def compare_runs(run_a: str | Path, run_b: str | Path, n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """`paired_benchmark` for two run directories of the same benchmark dataset (read from the runs' files)."""
    from iitbench.data.manifest import load_dataset_dir
    from iitbench.run_files import load_run, read_records
    from iitbench.schema import SAMPLES_FILE

    views = [load_run(Path(p)) for p in (run_a, run_b)]
    names = [(v.metrics.get("benchmark") or {}).get("name") for v in views]
    if names[0] is None or names[0] != names[1]:
        raise UserError(f"{run_a} and {run_b}: not runs of the same multimodal benchmark ({names[0]} vs {names[1]})")
    prints = [v.results.get("data", {}).get("fingerprint") for v in views]
    if prints[0] != prints[1]:
        raise UserError(f"{run_a} and {run_b}: different {names[0]} data (fingerprints {prints[0]} vs {prints[1]}); "
                        "run both models on the same benchmark directory")
    data_path = Path(views[0].results.get("data", {}).get("path", ""))
    try:
        dataset = load_dataset_dir(data_path, check_images=False)
    except (UserError, OSError) as e:
        raise UserError(f"{run_a}: its benchmark directory {data_path} is not readable ({e}); rebuild it with "
                        f"`iitbench build --benchmark {names[0]}`") from None
    meta = {it.id: dict(it.turns[it.scored_turn].meta) for it in dataset.items}
    records = [read_records(v.path / SAMPLES_FILE) for v in views]
    out = paired_benchmark(names[0], records[0], records[1], meta, n_boot=n_boot, seed=seed)
    out["models"] = {"a": views[0].results.get("model", {}).get("name"),
                     "b": views[1].results.get("model", {}).get("name")}
    return out


__all__ = ["compare_runs", "paired_benchmark", "unit_of"]
