"""Item statistics with seeded percentile-bootstrap 95% CIs (resampling items, as the forgetting deltas do)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

BOOT_CHUNK = 256  # resamples drawn at a time: bounded memory for large item counts


def mean_ci(values: Sequence[float] | np.ndarray, n_boot: int, seed: int) -> dict[str, Any]:
    """{"value", "lo", "hi", "n"}: the mean over items and its bootstrap 95% CI (None where undefined)."""
    x = np.asarray(values, dtype=np.float64)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return {"value": None, "lo": None, "hi": None, "n": 0}
    rng = np.random.default_rng(seed)
    boots = np.empty(n_boot)
    for start in range(0, n_boot, BOOT_CHUNK):
        stop = min(n_boot, start + BOOT_CHUNK)
        boots[start:stop] = x[rng.integers(0, x.size, size=(stop - start, x.size))].mean(1)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return {"value": float(x.mean()), "lo": float(lo), "hi": float(hi), "n": int(x.size)}


def point(value: float | None, n: int) -> dict[str, Any]:
    """A statistic that is not an item mean (CKA, weight drift): no CI."""
    ok = value is not None and not math.isnan(value)
    return {"value": float(value) if ok else None, "lo": None, "hi": None, "n": int(n)}


def layer_bands(rows: np.ndarray, n_boot: int, seed: int) -> dict[str, list[float | None]]:
    """Per-layer mean over items of an [n, L] array with its bootstrap 95% band."""
    out: dict[str, list[float | None]] = {"mean": [], "lo": [], "hi": []}
    for layer in range(rows.shape[1]):
        est = mean_ci(rows[:, layer], n_boot, seed)
        for key, name in (("mean", "value"), ("lo", "lo"), ("hi", "hi")):
            out[key].append(est[name])
    return out


def finite(x: Any) -> Any:
    """NaN -> None, recursively, for JSON."""
    if isinstance(x, float):
        return None if math.isnan(x) or math.isinf(x) else x
    if isinstance(x, dict):
        return {k: finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [finite(v) for v in x]
    return x


__all__ = ["finite", "layer_bands", "mean_ci", "point"]
