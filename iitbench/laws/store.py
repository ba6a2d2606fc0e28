"""LAWS results files: `laws.npz` (per-sample arrays) and `laws_summary.json` (curves, shift, settings).

laws.npz keys (N samples, L layers, K = len(LABEL_NAMES) labels in the order of `label_names`):
  keys [N] str; excluded [N] str ("" = used); masses [N, K, L] float64 (NaN rows for excluded samples);
  token_counts [N, K] int64; n_queries [N] int64; labels [sum of lengths] uint8 with label_offsets [N + 1] int64
  (sample i's per-token labels are labels[label_offsets[i]:label_offsets[i + 1]]; spans follow from them);
  label_names [K] str.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import numpy as np

from iitbench.errors import DataError, UserError
from iitbench.laws.curves import mean_band, shift_score
from iitbench.laws.protocol import CURVE_SEGMENTS, LABEL_NAMES, LawsResult, Segments

SCHEMA_VERSION = 1
NPZ, SUMMARY = "laws.npz", "laws_summary.json"


class LawsSummary(TypedDict):
    schema_version: int  # bumped on incompatible changes
    model: dict[str, Any]  # name, args, fingerprint, describe() of the adapter
    data: dict[str, Any]  # path, name, fingerprint, n items
    settings: dict[str, Any]  # head_reduction, per_query_norm, segments, sinks, queries, reference_base, backend, ...
    variant: str  # the analysis-variant name, `LawsOptions.variant` (e.g. content-include-sum, ...-after)
    queries_label: str  # what the summed query rows are (`protocol.QUERY_LABELS`; "all" = the paper's definition)
    n_layers: int
    n_samples: int  # samples analysed (after --limit)
    n_used: int  # samples with text on both sides of an image
    excluded: dict[str, Any]  # count and {reason: count}
    curves: dict[str, dict[str, list[float]]]  # before/image/after: mean, lo, hi per layer (bootstrap 95%)
    shift: dict[str, Any]  # value, lo, hi (bootstrap 95% over samples), n, n_undefined
    mean_token_counts: dict[str, float]  # per label, over used samples
    versions: dict[str, str]
    reference: NotRequired[dict[str, Any]]  # with --reference-base: the base LLM's curves (`iitbench.laws.reference`)


def as_arrays(results: Sequence[LawsResult]) -> dict[str, np.ndarray]:
    n_layers = max((len(r.masses[0]) for r in results if r.masses), default=0)
    masses = np.full((len(results), len(LABEL_NAMES), n_layers), np.nan)
    for i, r in enumerate(results):
        if r.masses:
            masses[i] = np.asarray(r.masses, dtype=np.float64)
    lengths = [len(r.segments.labels) for r in results]
    return {
        "keys": np.asarray([r.key for r in results], dtype=str),
        "excluded": np.asarray([r.segments.excluded or "" for r in results], dtype=str),
        "masses": masses,
        "token_counts": np.asarray([[r.segments.labels.count(k) for k in range(len(LABEL_NAMES))] for r in results],
                                   dtype=np.int64).reshape(len(results), len(LABEL_NAMES)),
        "n_queries": np.asarray([r.n_queries for r in results], dtype=np.int64),
        "labels": np.asarray([lab for r in results for lab in r.segments.labels], dtype=np.uint8),
        "label_offsets": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        "label_names": np.asarray(LABEL_NAMES, dtype=str),
    }


def summarise(arrays: dict[str, np.ndarray], n_boot: int, seed: int) -> dict[str, Any]:
    used = arrays["excluded"] == ""
    reasons = Counter(str(x) for x in arrays["excluded"][~used])
    if not used.any():
        listed = "; ".join(f"{r} ({n})" for r, n in sorted(reasons.items())) or "no samples"
        raise UserError(f"LAWS: no sample has content text on both sides of an image: {listed}; use dialogues "
                        f"with text before and after an image, or --segments all-text")
    masses = arrays["masses"][used]
    curves = {}
    for seg in CURVE_SEGMENTS:
        band = mean_band(masses[:, LABEL_NAMES.index(seg)], n_boot, seed)
        curves[seg] = {"mean": list(band.mean), "lo": list(band.lo), "hi": list(band.hi)}
    shift = shift_score(masses[:, LABEL_NAMES.index("before")], masses[:, LABEL_NAMES.index("after")], n_boot, seed)
    counts = arrays["token_counts"][used].mean(axis=0)
    return {"n_layers": int(masses.shape[2]), "n_samples": int(used.size), "n_used": int(used.sum()),
            "excluded": {"count": int((~used).sum()), "reasons": dict(sorted(reasons.items()))},
            "curves": curves, "shift": shift.to_json(),
            "mean_token_counts": {name: float(c) for name, c in zip(LABEL_NAMES, counts)}}


def write_laws(out: Path, results: Sequence[LawsResult], header: dict[str, Any], n_boot: int,
               seed: int) -> dict[str, Any]:
    """Write laws.npz and laws_summary.json into `out`; returns the summary."""
    out.mkdir(parents=True, exist_ok=True)
    arrays = as_arrays(results)
    summary = {"schema_version": SCHEMA_VERSION, **header, **summarise(arrays, n_boot, seed)}
    with open(out / NPZ, "wb") as f:
        np.savez_compressed(f, **arrays)
    (out / SUMMARY).write_text(json.dumps(summary, indent=2, sort_keys=True, allow_nan=True) + "\n", encoding="utf-8")
    return summary


def read_summary(directory: Path) -> dict[str, Any]:
    path = Path(directory) / SUMMARY
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: not a readable LAWS summary ({type(e).__name__}); run `iitbench laws` first") from None


def read_segments(directory: Path) -> list[Segments]:
    """Per-sample segments back from laws.npz (labels and exclusion reasons)."""
    with np.load(Path(directory) / NPZ) as data:
        offsets, labels, excluded = data["label_offsets"], data["labels"], data["excluded"]
        return [Segments(labels=tuple(int(x) for x in labels[offsets[i]:offsets[i + 1]]),
                         excluded=str(excluded[i]) or None) for i in range(len(excluded))]
