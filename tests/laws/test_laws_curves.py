"""Shift score and correlation math against hand examples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from iitbench.errors import UserError
from iitbench.laws.curves import correlation, mean_band, shift_score


def test_identical_profiles_give_zero_shift_and_opposite_profiles_give_two():
    before = np.array([[1.0, 2.0, 4.0, 3.0], [5.0, 1.0, 0.0, 2.0]])
    assert shift_score(before, before * 3 + 1).value == pytest.approx(0.0, abs=1e-12)
    assert shift_score(before, -before).value == pytest.approx(2.0, abs=1e-12)


def test_shift_is_mean_of_one_minus_pearson_per_sample():
    before = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, 1.0]])
    after = np.array([[1.0, 3.0, 2.0], [0.0, 1.0, 1.0]])
    r1 = np.corrcoef(before[0], after[0])[0, 1]  # 0.5
    r2 = np.corrcoef(before[1], after[1])[0, 1]  # -0.5
    est = shift_score(before, after, n_boot=500, seed=3)
    assert est.value == pytest.approx(1 - (r1 + r2) / 2) and est.n == 2
    assert est.lo <= est.value <= est.hi
    assert est == shift_score(before, after, n_boot=500, seed=3)  # seeded


def test_constant_curve_is_counted_undefined_not_averaged():
    est = shift_score(np.array([[1.0, 2.0], [1.0, 1.0]]), np.array([[2.0, 1.0], [3.0, 4.0]]))
    assert est.value == pytest.approx(2.0) and est.n == 1 and est.n_undefined == 1


def test_one_layer_has_no_shift():
    with pytest.raises(UserError):
        shift_score(np.ones((2, 1)), np.ones((2, 1)))


def test_mean_band_brackets_the_mean_and_correlation_matches_numpy():
    curves = np.array([[1.0, 2.0], [3.0, 2.0], [2.0, 5.0]])
    band = mean_band(curves, n_boot=300, seed=0)
    assert band.mean == (2.0, 3.0) and all(lo <= m <= hi for lo, m, hi in zip(band.lo, band.mean, band.hi))
    x, y = [0.1, 0.4, 0.3, 0.9], [0.0, -0.2, -0.1, -0.5]
    est = correlation(x, y, n_boot=300)
    assert math.isclose(est.value, np.corrcoef(x, y)[0, 1]) and est.lo <= est.value <= est.hi


def test_partial_correlation_removes_what_the_control_explains():
    import numpy as np

    from iitbench.laws.curves import correlation, partial_correlation

    rng = np.random.default_rng(0)
    lr = rng.normal(size=40)
    shift = lr + 0.05 * rng.normal(size=40)  # both driven by the learning rate only
    delta = -lr + 0.05 * rng.normal(size=40)
    assert correlation(shift, delta, n_boot=200).value < -0.9
    partial = partial_correlation(shift, delta, lr, n_boot=200)
    assert abs(partial.value) < 0.4 and partial.lo < 0 < partial.hi
    own = rng.normal(size=40)  # a real link beyond the learning rate survives the control
    assert partial_correlation(shift + own, delta - own, lr, n_boot=200).value < -0.9


def test_paired_shift_difference_is_the_mean_of_per_sample_differences():
    from iitbench.laws.curves import paired_shift_difference

    before = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
    after = np.array([[1.0, 3.0, 2.0], [0.0, 1.0, 1.0], [2.0, 1.0, 0.0]])
    ref_after = np.array([[3.0, 2.0, 1.0], [0.0, 1.0, 1.0], [1.0, 2.0, 3.0]])
    est = paired_shift_difference(before, after, before, ref_after, n_boot=300)
    # sample 0: (1 - 0.5) - (1 + 1) = -1.5; sample 1: the same curves, 0; sample 2: constant before, left out
    assert est.value == pytest.approx(-0.75) and est.n == 2 and est.n_undefined == 1
    assert est.lo == pytest.approx(-1.5) and est.hi == pytest.approx(0.0)
