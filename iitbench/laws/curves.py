"""LAWS statistics: mean curves with bootstrap bands, the attention-shift score with a CI, cross-model correlation.

Shift = E_x[1 - rho(LAWS_before(x), LAWS_after(x))], rho = Pearson over layers (0: identical layer profiles, 2:
opposite ones). A sample whose before or after curve is constant over layers has no rho; it is left out of the
mean and counted (`n_undefined`). Bootstraps resample samples (or models) with a seeded numpy Generator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from iitbench.errors import UserError


@dataclass(frozen=True)
class Band:
    mean: tuple[float, ...]
    lo: tuple[float, ...]
    hi: tuple[float, ...]


@dataclass(frozen=True)
class Estimate:
    """A statistic with its bootstrap 95% CI over `n` units (samples or models)."""

    value: float
    lo: float
    hi: float
    n: int
    n_undefined: int = 0

    def to_json(self) -> dict:
        return asdict(self)


def pearson_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Row-wise Pearson correlation of two [N, L] arrays; NaN where a row is constant."""
    constant = (np.ptp(x, axis=1) <= 1e-12 * np.abs(x).max(axis=1, initial=1.0)) | \
               (np.ptp(y, axis=1) <= 1e-12 * np.abs(y).max(axis=1, initial=1.0))
    x = x - x.mean(axis=1, keepdims=True)
    y = y - y.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (x * y).sum(axis=1) / np.sqrt((x * x).sum(axis=1) * (y * y).sum(axis=1))
    r[constant] = np.nan
    return np.clip(r, -1.0, 1.0)


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    return float(pearson_rows(np.asarray([x], dtype=np.float64), np.asarray([y], dtype=np.float64))[0])


def mean_band(curves: np.ndarray, n_boot: int = 1000, seed: int = 0) -> Band:
    """Mean over samples of [N, L] curves with a percentile bootstrap 95% band per layer."""
    if curves.shape[0] == 0:
        raise UserError("no usable sample for LAWS curves (all were excluded; see the exclusion reasons)")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, curves.shape[0], size=(n_boot, curves.shape[0]))
    boots = curves[idx].mean(axis=1)  # [n_boot, L]
    lo, hi = np.percentile(boots, [2.5, 97.5], axis=0)
    return Band(tuple(map(float, curves.mean(axis=0))), tuple(map(float, lo)), tuple(map(float, hi)))


def shift_score(before: np.ndarray, after: np.ndarray, n_boot: int = 1000, seed: int = 0) -> Estimate:
    """Shift = mean over samples of 1 - rho(before, after), with a bootstrap 95% CI over samples."""
    if before.shape != after.shape or before.ndim != 2:
        raise ValueError("before and after must be [N, L] arrays of one shape")
    if before.shape[1] < 2:
        raise UserError("the attention shift needs at least 2 layers (Pearson over layers)")
    per = 1.0 - pearson_rows(before, after)
    ok = per[np.isfinite(per)]
    n_undefined = int(per.size - ok.size)
    if ok.size == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0, n_undefined)
    rng = np.random.default_rng(seed)
    boots = ok[rng.integers(0, ok.size, size=(n_boot, ok.size))].mean(axis=1)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return Estimate(float(ok.mean()), float(lo), float(hi), int(ok.size), n_undefined)


def paired_shift_difference(before: np.ndarray, after: np.ndarray, ref_before: np.ndarray, ref_after: np.ndarray,
                            n_boot: int = 1000, seed: int = 0) -> Estimate:
    """Mean over samples of (1 - rho) - (1 - rho_ref): a model's shift minus a reference's on the same samples (rows
    paired), with a bootstrap 95% CI; samples whose rho is undefined for either are left out and counted."""
    per = pearson_rows(ref_before, ref_after) - pearson_rows(before, after)
    ok = per[np.isfinite(per)]
    if ok.size == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0, int(per.size))
    rng = np.random.default_rng(seed)
    boots = ok[rng.integers(0, ok.size, size=(n_boot, ok.size))].mean(axis=1)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return Estimate(float(ok.mean()), float(lo), float(hi), int(ok.size), int(per.size - ok.size))


def correlation(x: Sequence[float], y: Sequence[float], n_boot: int = 2000, seed: int = 0) -> Estimate:
    """Pearson r across models with a bootstrap 95% CI (resampling models; degenerate resamples skipped)."""
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if xs.size < 3:
        raise UserError(f"a correlation across models needs at least 3 models, got {xs.size}")
    r = pearson(xs, ys)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, xs.size, size=(n_boot, xs.size))
    boots = pearson_rows(xs[idx], ys[idx])
    boots = boots[np.isfinite(boots)]
    lo, hi = np.percentile(boots, [2.5, 97.5]) if boots.size else (float("nan"), float("nan"))
    return Estimate(r, float(lo), float(hi), int(xs.size))


def _residuals(values: np.ndarray, control: np.ndarray) -> np.ndarray:
    """Row-wise residuals of an ordinary least-squares fit values ~ a + b * control ([R, N] arrays)."""
    c = control - control.mean(axis=1, keepdims=True)
    v = values - values.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (c * v).sum(axis=1, keepdims=True) / (c * c).sum(axis=1, keepdims=True)
    return v - np.nan_to_num(slope) * c


def partial_correlation(x: Sequence[float], y: Sequence[float], control: Sequence[float], n_boot: int = 2000,
                        seed: int = 0) -> Estimate:
    """Pearson r of x and y after removing what `control` explains linearly from both (e.g. shift vs text delta
    controlling for log10 of the LLM learning rate), with a bootstrap 95% CI over models."""
    xs, ys, zs = (np.asarray(v, dtype=np.float64)[None] for v in (x, y, control))
    if xs.shape[1] < 4:
        raise UserError(f"a partial correlation across models needs at least 4 models, got {xs.shape[1]}")
    r = float(pearson_rows(_residuals(xs, zs), _residuals(ys, zs))[0])
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, xs.shape[1], size=(n_boot, xs.shape[1]))
    boots = pearson_rows(_residuals(xs[0][idx], zs[0][idx]), _residuals(ys[0][idx], zs[0][idx]))
    boots = boots[np.isfinite(boots)]
    lo, hi = np.percentile(boots, [2.5, 97.5]) if boots.size else (float("nan"), float("nan"))
    return Estimate(r, float(lo), float(hi), int(xs.shape[1]))
