"""Binomial statistics for accuracies: lm-eval's standard error and the Wilson 95% interval (closed form)."""

from __future__ import annotations

import math

#: The 97.5% quantile of the standard normal (scipy.stats.norm.ppf(0.975)); closed form keeps metrics scipy-free.
Z95 = 1.959963984540054


def mean_stderr(successes: int, n: int) -> float | None:
    """sqrt(p(1-p)/(n-1)), lm-eval's convention (sample variance of 0/1 outcomes over n); None when n < 2."""
    if n < 2:
        return None
    p = successes / n
    return math.sqrt(p * (1.0 - p) / (n - 1))


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for a binomial proportion; None when n = 0. Stays inside [0, 1] even at p = 0 or 1."""
    if n <= 0:
        return None
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = (z / denom) * math.sqrt(p * (1.0 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)
