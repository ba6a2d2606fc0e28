"""Metrics: accuracies with lm-eval standard errors and Wilson CIs, computed from sample records alone (no torch)."""

from iitbench.metrics.accuracy import accuracy, compute_metrics
from iitbench.metrics.stats import Z95, mean_stderr, wilson_interval

__all__ = ["Z95", "accuracy", "compute_metrics", "mean_stderr", "wilson_interval"]
