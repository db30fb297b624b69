"""Correlation with its test and interval, and robust location and spread, in numpy and `math` only.

scipy would give the same numbers but costs a second or more to import on a cold machine, for a
few lines of arithmetic: Student's t p-value needs the regularized incomplete beta function, which
is computed here by its continued fraction (tests check both against scipy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

Method = Literal["pearson", "spearman", "point_biserial"]
Z_95 = 1.959963984540054  # the 97.5th percentile of the standard normal
MAD_TO_SIGMA = 1.482602218505602  # 1 / Phi^-1(3/4): a MAD of normal data times this is its standard deviation
MIN_ACCOUNTS = 10


@dataclass(frozen=True)
class Correlation:
    method: Method
    r: float
    n: int
    p_value: float
    ci_low: float
    ci_high: float


def _betacf(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 1000):
        m2 = 2 * m
        for numerator in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b), for a, b > 0 and 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def t_test_p(r: float, n: int) -> float:
    """Two-sided p-value of a correlation `r` over `n` pairs: Student's t with n - 2 degrees of freedom."""
    df = n - 2
    if abs(r) >= 1.0:
        return 0.0
    t2 = r * r * df / (1.0 - r * r)
    return betainc(df / 2.0, 0.5, df / (df + t2))


def fisher_interval(r: float, n: int, variance: float = 1.0) -> tuple[float, float]:
    """The 95% interval of `r` by Fisher's z, whose standard error is sqrt(variance / (n - 3))."""
    clipped = min(max(r, -0.999999999), 0.999999999)
    z, half = math.atanh(clipped), Z_95 * math.sqrt(variance / (n - 3))
    return math.tanh(z - half), math.tanh(z + half)


def pearson_r(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson's r, or None when either side does not vary (no correlation is defined)."""
    dx, dy = x - x.mean(), y - y.mean()
    sx, sy = float(np.sqrt(dx @ dx)), float(np.sqrt(dy @ dy))
    if sx <= 1e-12 * max(1.0, float(np.abs(x).max())) or sy <= 1e-12 * max(1.0, float(np.abs(y).max())):
        return None
    return min(1.0, max(-1.0, float(dx @ dy) / (sx * sy)))


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties sharing the mean of their ranks (what Spearman's rho needs)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(values)]
    mean_rank = (starts + ends + 1) / 2.0  # ranks start..end-1 (0-based), +1, averaged
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def correlate(x: np.ndarray, y: np.ndarray, method: Method) -> Correlation | None:
    """r, its p-value and 95% interval; None with fewer than 4 pairs or when a side does not vary.

    Spearman's interval uses Fieller's variance 1.06 / (n - 3); point-biserial is Pearson's r with a
    0/1 outcome, so it shares Pearson's test and interval.
    """
    n = len(x)
    if n < 4:
        return None
    a, b = (average_ranks(x), average_ranks(y)) if method == "spearman" else (x, y)
    r = pearson_r(a.astype(float), b.astype(float))
    if r is None:
        return None
    low, high = fisher_interval(r, n, 1.06 if method == "spearman" else 1.0)
    return Correlation(method, r, n, t_test_p(r, n), low, high)


def strength(r: float) -> str:
    """Cohen's words for the size of a correlation."""
    size = abs(r)
    if size < 0.1:
        return "no"
    return "a weak" if size < 0.3 else "a moderate" if size < 0.5 else "a strong"


def median_and_mad(values: np.ndarray) -> tuple[float, float]:
    """The median and the median absolute deviation from it (unscaled)."""
    median = float(np.median(values))
    return median, float(np.median(np.abs(values - median)))


def robust_z(values: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Each value's distance from the median in robust standard deviations (MAD x 1.4826), the median,
    and that scale. When more than half the values are equal the MAD is 0; the mean absolute deviation
    times 1.2533 (its own normal-consistency factor) stands in; if that is 0 too, all z are 0."""
    median, mad = median_and_mad(values)
    scale = mad * MAD_TO_SIGMA
    if scale <= 0:
        scale = float(np.mean(np.abs(values - median))) * math.sqrt(math.pi / 2)
    if scale <= 0:
        return np.zeros(len(values)), median, 0.0
    return (values - median) / scale, median, scale
