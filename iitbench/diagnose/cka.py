"""Hidden-state drift per layer: linear CKA between the MLLM's and the base's states on the same text.

Features: per item, each decoder layer's output at the answer position (the prompt's last token, whose next-token
distribution the output-shift predictor compares), so X_l is n_items x d_mllm and Y_l is n_items x d_base. Linear
CKA (Kornblith et al., "Similarity of Neural Network Representations Revisited", arXiv:1905.00414) with centred
features X~, Y~:

    CKA(X, Y) = ||X~^T Y~||_F^2 / (||X~^T X~||_F ||Y~^T Y~||_F)  =  <K, L>_F / (||K||_F ||L||_F),  K = X~X~^T, L = Y~Y~^T

It is 1 for identical states (and invariant to rotations and isotropic scaling), lower as the representations of
the items drift apart; 1 - CKA is reported as the drift. Exact, in float64, and memory-bounded: the states live in
the work store on disk (n x L x d float32 per model) and CKA is computed one layer at a time, through whichever form
is smaller - the n x n Gram matrices (few items) or the d x d covariance sums accumulated chunk by chunk after a
first pass for the means (many items). Peak memory is one layer's min(n^2, d^2)-sized matrices plus one chunk, never
all layers' d x d sums (3 x 32 x 4096^2 float64 = 12 GiB for a 7B pair). Widths may differ; layer counts may not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def _gram(xs: Sequence[np.ndarray], ys: Sequence[np.ndarray]) -> float:
    x = np.concatenate([np.asarray(p, dtype=np.float64) for p in xs])
    y = np.concatenate([np.asarray(p, dtype=np.float64) for p in ys])
    x -= x.mean(0)
    y -= y.mean(0)
    k, l_ = x @ x.T, y @ y.T
    return _ratio(float((k * l_).sum()), float((k * k).sum()), float((l_ * l_).sum()))


def _features(xs: Sequence[np.ndarray], ys: Sequence[np.ndarray]) -> float:
    n = sum(len(p) for p in xs)
    mx = sum(np.asarray(p, dtype=np.float64).sum(0) for p in xs) / n
    my = sum(np.asarray(p, dtype=np.float64).sum(0) for p in ys) / n
    cxy = np.zeros((mx.size, my.size))
    cxx = np.zeros((mx.size, mx.size))
    cyy = np.zeros((my.size, my.size))
    for px, py in zip(xs, ys):  # centred before the products: no cancellation between large sums
        x = np.asarray(px, dtype=np.float64) - mx
        y = np.asarray(py, dtype=np.float64) - my
        cxy += x.T @ y
        cxx += x.T @ x
        cyy += y.T @ y
    return _ratio(float((cxy * cxy).sum()), float((cxx * cxx).sum()), float((cyy * cyy).sum()))


def _ratio(hsic: float, xx: float, yy: float) -> float:
    """CKA from its three sums; NaN when a side has no variance (constant states)."""
    denominator = np.sqrt(xx) * np.sqrt(yy)
    if not denominator > 0:
        return float("nan")
    return float(min(1.0, max(0.0, hsic / denominator)))


def linear_cka(xs: Sequence[np.ndarray], ys: Sequence[np.ndarray], route: str | None = None) -> float:
    """Linear CKA of row-aligned chunks `xs` ([c_i, d_x]) and `ys` ([c_i, d_y]); route: gram | features | None
    (the smaller one). Both routes give the same number up to float64 rounding."""
    n = sum(len(p) for p in xs)
    dx, dy = xs[0].shape[1], ys[0].shape[1]
    if n < 2:
        return float("nan")
    route = route or ("gram" if n * n <= dx * dy else "features")
    return _gram(xs, ys) if route == "gram" else _features(xs, ys)


def cka_per_layer(n_layers: int, mllm_layer: Callable[[int], Sequence[np.ndarray]],
                  base_layer: Callable[[int], Sequence[np.ndarray]], bar=None) -> tuple[list[float], str]:
    """CKA for every layer (one layer's states read at a time) and the route used."""
    out, route = [], ""
    for layer in range(n_layers):
        xs, ys = mllm_layer(layer), base_layer(layer)
        n = sum(len(p) for p in xs)
        route = "gram" if n * n <= xs[0].shape[1] * ys[0].shape[1] else "features"
        out.append(linear_cka(xs, ys, route))
        if bar is not None:
            bar.update(1)
    return out, route


__all__ = ["cka_per_layer", "linear_cka"]
