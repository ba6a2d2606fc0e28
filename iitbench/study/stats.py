"""Statistics of a study across models, where seeds of one recipe are not independent draws.

Every bootstrap here resamples *clusters* (a recipe with all its seeds; a model without seed replicates is a cluster
of one) and is written as frequency weights: a model whose recipe was drawn twice gets weight 2. Weighted Pearson,
weighted mid-ranks (Spearman) and weighted least squares (partial r) on those weights are exactly the statistics of
the duplicated sample, so all resamples are computed at once. Seeded: the same inputs give the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

N_BOOT, SEED = 2000, 0
#: seeds over which a bootstrap-based decision must not change (the main SEED first); see iitbench.study.verdicts
STABILITY_SEEDS = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class Estimate:
    value: float
    lo: float
    hi: float
    n: int  # points (models, or recipe means)
    clusters: int  # independent units the bootstrap resampled


def cluster_weights(clusters: Sequence[str], n_boot: int = N_BOOT, seed: int = SEED) -> np.ndarray:
    """[n_boot, N] frequency weights of a cluster bootstrap: K clusters drawn with replacement, each model weighted by
    how often its cluster was drawn. Clusters are numbered in sorted order so the draw does not depend on row order
    within a cluster."""
    keys = sorted(set(clusters))
    index = np.asarray([keys.index(c) for c in clusters])
    draws = np.random.default_rng(seed).integers(0, len(keys), size=(n_boot, len(keys)))
    counts = np.zeros((n_boot, len(keys)))
    np.add.at(counts, (np.arange(n_boot)[:, None], draws), 1.0)
    return counts[:, index]


def _center(v: np.ndarray, w: np.ndarray) -> np.ndarray:
    return v - (w * v).sum(axis=1, keepdims=True) / w.sum(axis=1, keepdims=True)


def _pearson(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted Pearson r per row of w ([B, N]); x, y are [N] or [B, N]. NaN where x or y is constant."""
    dx, dy = _center(np.broadcast_to(x, w.shape), w), _center(np.broadcast_to(y, w.shape), w)
    vx, vy = (w * dx * dx).sum(axis=1), (w * dy * dy).sum(axis=1)
    scale = np.maximum(np.abs(x).max(), 1.0) ** 2, np.maximum(np.abs(y).max(), 1.0) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (w * dx * dy).sum(axis=1) / np.sqrt(vx * vy)
    r[(vx <= 1e-20 * scale[0]) | (vy <= 1e-20 * scale[1])] = np.nan
    return np.clip(r, -1.0, 1.0)


def _ranks(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Mid-ranks of each model in the duplicated sample a weight row describes ([B, N])."""
    below = (x[None, :] < x[:, None]).astype(np.float64)  # below[i, j]: x_j < x_i
    equal = (x[None, :] == x[:, None]).astype(np.float64)
    return w @ below.T + (w @ equal.T + 1.0) / 2.0


def _residuals(v: np.ndarray, z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """v minus its weighted least-squares fit on z, per weight row."""
    dv, dz = _center(np.broadcast_to(v, w.shape), w), _center(np.broadcast_to(z, w.shape), w)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (w * dz * dv).sum(axis=1, keepdims=True) / (w * dz * dz).sum(axis=1, keepdims=True)
    return dv - np.nan_to_num(slope) * dz


def _stat(x: np.ndarray, y: np.ndarray, w: np.ndarray, method: str, control: np.ndarray | None) -> np.ndarray:
    if method == "spearman":
        return _pearson(_ranks(x, w), _ranks(y, w), w)
    if control is not None:
        return _pearson(_residuals(x, control, w), _residuals(y, control, w), w)
    return _pearson(x, y, w)


def correlation(x: Sequence[float], y: Sequence[float], clusters: Sequence[str] | None = None,
                method: str = "pearson", control: Sequence[float] | None = None, n_boot: int = N_BOOT,
                seed: int = SEED) -> Estimate | None:
    """Pearson (or Spearman) r with a cluster-bootstrap 95% percentile CI; with `control`, the partial r after
    regressing x and y on it. None with fewer than 3 points (4 for a partial r) or 3 clusters."""
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    cl = list(clusters) if clusters is not None else [str(i) for i in range(xs.size)]
    zs = None if control is None else np.asarray(control, dtype=np.float64)
    if xs.size < (4 if zs is not None else 3) or len(set(cl)) < 3:
        return None
    value = float(_stat(xs, ys, np.ones((1, xs.size)), method, zs)[0])
    boots = _stat(xs, ys, cluster_weights(cl, n_boot, seed), method, zs)
    boots = boots[np.isfinite(boots)]  # resamples with a constant variable say nothing about r
    lo, hi = np.percentile(boots, [2.5, 97.5]) if boots.size else (math.nan, math.nan)
    return Estimate(value, float(lo), float(hi), int(xs.size), len(set(cl)))


def loo_range(x: Sequence[float], y: Sequence[float]) -> tuple[float, float] | None:
    """Smallest and largest Pearson r with one point left out: how much a single model (or recipe) carries r."""
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if xs.size < 4:
        return None
    w = 1.0 - np.eye(xs.size)
    r = _pearson(xs, ys, w)
    r = r[np.isfinite(r)]
    return (float(r.min()), float(r.max())) if r.size else None


@dataclass(frozen=True)
class Reliability:
    value: float  # 1 - within-recipe variance / variance over the population's models
    recipes: int  # recipes with two seeds or more (where the within-recipe variance comes from)
    df: int  # degrees of freedom of the pooled within-recipe variance


def seed_reliability(values: Sequence[float], clusters: Sequence[str]) -> Reliability | None:
    """Share of a quantity's variance across models that is not seed noise: 1 - s_w^2 / s^2, with s_w^2 the pooled
    variance between seeds of one recipe and s^2 the variance over all the given models (a one-way ANOVA intraclass
    correlation for single measurements). It bounds what any correlation with the quantity can show:
    |r observed| <= sqrt(rel_x * rel_y). None without a recipe that has two seeds."""
    v = np.asarray(values, dtype=np.float64)
    groups: dict[str, list[float]] = {}
    for value, c in zip(v, clusters):
        groups.setdefault(c, []).append(float(value))
    replicated = [np.asarray(g) for g in groups.values() if len(g) > 1]
    df = sum(g.size - 1 for g in replicated)
    total = float(v.var(ddof=1)) if v.size > 1 else 0.0
    if not df or total <= 0:
        return None
    within = sum(float(((g - g.mean()) ** 2).sum()) for g in replicated) / df
    return Reliability(1.0 - within / total, len(replicated), df)


def disattenuated(r: float, reliability: float) -> float | None:
    """r divided by sqrt(reliability of the predictor): the r a seed-averaged (noise-free) predictor would show.
    Above 1 in size when the reliability estimate (few df) is too low; reported as computed, not clipped."""
    return None if reliability <= 0 else r / math.sqrt(reliability)


def welch(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float] | None:
    """mean(a) - mean(b) with a Welch t 95% CI: seeds as the units (no normal approximation with 2-3 seeds)."""
    from scipy.special import stdtrit  # the t quantile; scipy.stats would add seconds of import to every table

    xa, xb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if xa.size < 2 or xb.size < 2:
        return None
    va, vb = xa.var(ddof=1) / xa.size, xb.var(ddof=1) / xb.size
    diff = float(xa.mean() - xb.mean())
    if va + vb <= 0:
        return diff, diff, diff
    dof = (va + vb) ** 2 / (va ** 2 / (xa.size - 1) + vb ** 2 / (xb.size - 1))
    half = float(stdtrit(dof, 0.975) * math.sqrt(va + vb))
    return diff, diff - half, diff + half


def mcnemar_p(only_a: int, only_b: int) -> float:
    """Exact two-sided McNemar p: 2 x the binomial(n, 1/2) tail at min(b, c), capped at 1; the value of
    `iitbench.metrics.paired.mcnemar_exact` (to 1e-15) without importing scipy.stats."""
    n, k = only_a + only_b, min(only_a, only_b)
    return 1.0 if n == 0 else min(1.0, 2.0 * sum(math.comb(n, i) for i in range(k + 1)) / 2.0 ** n)


def mean_ci(values: Sequence[float], clusters: Sequence[str] | None = None, n_boot: int = N_BOOT,
            seed: int = SEED) -> tuple[float, float, float]:
    """Mean with a (cluster-)bootstrap 95% percentile CI."""
    v = np.asarray(values, dtype=np.float64)
    w = cluster_weights(list(clusters) if clusters is not None else [str(i) for i in range(v.size)], n_boot, seed)
    boots = (w * v).sum(axis=1) / w.sum(axis=1)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return float(v.mean()), float(lo), float(hi)


def paired_redraw(n: int, only_a: int, only_b: int, n_boot: int, seed: int) -> tuple[float, float]:
    """The item bootstrap CI of a paired accuracy difference, drawn again with another seed. It depends only on the
    counts of discordant pairs (+1, -1; every other item 0), so a stored comparison can be redrawn without its
    per-item records."""
    from iitbench.metrics.paired import paired_bootstrap_ci

    a = [True] * only_a + [False] * (n - only_a)
    b = [False] * only_a + [True] * only_b + [False] * (n - only_a - only_b)
    return paired_bootstrap_ci(a, b, n_boot=n_boot, seed=seed)


__all__ = ["Estimate", "N_BOOT", "Reliability", "SEED", "STABILITY_SEEDS", "cluster_weights", "correlation",
           "disattenuated", "loo_range", "mcnemar_p", "mean_ci", "paired_redraw", "seed_reliability", "welch"]
