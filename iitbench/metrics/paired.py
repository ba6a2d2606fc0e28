"""Paired comparison of two models on the same items: delta with a paired bootstrap CI, McNemar's exact test.

Both models answer the same questions, so their per-item outcomes are paired. An unpaired test (as lm-eval's
comparator applies, #3831) ignores that and is too conservative; here every statistic is computed on the pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class PairedComparison:
    """Model A vs model B on n paired items (delta = acc_a - acc_b)."""

    n: int
    acc_a: float | None
    acc_b: float | None
    delta: float | None
    delta_ci95: tuple[float, float] | None  # paired bootstrap, percentile
    only_a_correct: int  # discordant pairs: A right, B wrong
    only_b_correct: int  # discordant pairs: B right, A wrong
    mcnemar_p: float | None  # exact (binomial) two-sided p-value on the discordant pairs
    agreement: float | None  # fraction of items where both predicted the same option

    def to_json(self) -> dict:
        out = asdict(self)
        out["delta_ci95"] = list(self.delta_ci95) if self.delta_ci95 is not None else None
        return out


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value: a binomial test of min(b, c) ~ Bin(b + c, 1/2)."""
    n = only_a + only_b
    if n == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(min(only_a, only_b), n, 0.5, alternative="two-sided").pvalue)


def paired_bootstrap_ci(correct_a: Sequence[bool], correct_b: Sequence[bool], n_boot: int = 2000,
                        seed: int = 0, alpha: float = 0.05) -> tuple[float, float]:
    """Percentile CI of acc_a - acc_b, resampling items (pairs) with replacement; seeded, so reproducible."""
    diff = np.asarray(correct_a, dtype=np.float64) - np.asarray(correct_b, dtype=np.float64)
    n = len(diff)
    if n == 0:
        raise ValueError("no pairs")
    rng = np.random.default_rng(seed)
    # Chunked so memory stays small for large suites; the draws are identical to one big draw.
    means = np.empty(n_boot)
    chunk = max(1, 2_000_000 // n)
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        idx = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = diff[idx].mean(axis=1)
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def compare_paired(correct_a: Sequence[bool], correct_b: Sequence[bool], pred_a: Sequence[int] | None = None,
                   pred_b: Sequence[int] | None = None, n_boot: int = 2000, seed: int = 0) -> PairedComparison:
    """All paired statistics for two aligned outcome lists (same items, same order)."""
    if len(correct_a) != len(correct_b):
        raise ValueError(f"unpaired inputs: {len(correct_a)} vs {len(correct_b)} items")
    n = len(correct_a)
    if n == 0:
        return PairedComparison(0, None, None, None, None, 0, 0, None, None)
    a = np.asarray(correct_a, dtype=bool)
    b = np.asarray(correct_b, dtype=bool)
    only_a, only_b = int((a & ~b).sum()), int((b & ~a).sum())
    agreement = None
    if pred_a is not None and pred_b is not None:
        agreement = float(np.mean(np.asarray(pred_a) == np.asarray(pred_b)))
    return PairedComparison(
        n=n, acc_a=float(a.mean()), acc_b=float(b.mean()), delta=float(a.mean() - b.mean()),
        delta_ci95=paired_bootstrap_ci(a, b, n_boot=n_boot, seed=seed), only_a_correct=only_a,
        only_b_correct=only_b, mcnemar_p=mcnemar_exact(only_a, only_b), agreement=agreement,
    )
