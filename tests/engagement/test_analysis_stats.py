"""The statistics the analysis tools compute, against scipy and hand-worked examples."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats as reference

from engagement.analysis import stats


@pytest.mark.parametrize(("a", "b", "x"), [(0.5, 0.5, 0.3), (14.0, 0.5, 0.99), (100.0, 0.5, 0.2), (1.5, 0.5, 0.9999), (4.0, 0.5, 0.5)])
def test_incomplete_beta_matches_scipy(a: float, b: float, x: float) -> None:
    assert stats.betainc(a, b, x) == pytest.approx(float(special.betainc(a, b, x)), rel=1e-10, abs=1e-300)


@pytest.mark.parametrize("n", [5, 12, 40, 300])
def test_pearson_and_spearman_match_scipy_with_their_p_values(n: int) -> None:
    rng = np.random.default_rng(n)
    x = rng.normal(size=n)
    y = np.round(0.5 * x + rng.normal(size=n))  # rounding makes ties for Spearman

    pearson, spearman = stats.correlate(x, y, "pearson"), stats.correlate(x, y, "spearman")

    assert pearson is not None and spearman is not None
    expected_p, expected_s = reference.pearsonr(x, y), reference.spearmanr(x, y)
    assert (pearson.r, pearson.p_value) == pytest.approx((expected_p.statistic, expected_p.pvalue), rel=1e-9)
    assert (spearman.r, spearman.p_value) == pytest.approx((expected_s.statistic, expected_s.pvalue), rel=1e-9)


def test_confidence_interval_is_fishers_z_by_hand() -> None:
    # r = 0.5 over 28 pairs: z = atanh(0.5) = 0.5493, se = 1/5 -> z +- 0.392 -> tanh: 0.156 .. 0.736
    low, high = stats.fisher_interval(0.5, 28)

    assert (low, high) == pytest.approx((math.tanh(0.549306 - 0.391993), math.tanh(0.549306 + 0.391993)), abs=1e-5)
    assert (round(low, 3), round(high, 3)) == (0.156, 0.736)


def test_no_variation_or_too_few_pairs_gives_no_correlation() -> None:
    assert stats.correlate(np.array([1.0, 2, 3, 4, 5]), np.array([7.0] * 5), "pearson") is None
    assert stats.correlate(np.array([1.0, 2, 3]), np.array([1.0, 2, 4]), "pearson") is None


def test_robust_z_uses_the_median_and_the_scaled_mad() -> None:
    values = np.array([10.0, 11, 12, 13, 14, 100])  # median 12.5, |dev| 2.5 1.5 .5 .5 1.5 87.5 -> MAD 1.5

    z, median, scale = stats.robust_z(values)

    assert (median, scale) == pytest.approx((12.5, 1.5 * 1.482602218505602))
    assert z[-1] == pytest.approx(87.5 / scale) and abs(z[0]) < 2


def test_robust_z_falls_back_to_the_mean_deviation_when_most_values_are_equal() -> None:
    values = np.array([5.0, 5, 5, 5, 5, 9])  # MAD 0; mean |dev| = 4/6

    z, _, scale = stats.robust_z(values)

    assert scale == pytest.approx(4 / 6 * math.sqrt(math.pi / 2))
    assert z[:5].tolist() == [0.0] * 5 and z[5] > 3
