"""Tail probabilities for counts: how surprising is k cases when the baseline expects so many?

Counts of reports per item, area and day are Poisson at heart but vary more than Poisson from
day to day (weather, a market day, an inspector's round), and the baseline's own mean is
estimated from a handful of days. Both widen the tail, and both are negative-binomial:

- the mean's uncertainty: a Gamma(½ + Σx, n) posterior for the rate after n baseline days
  with Σx cases gives a negative-binomial predictive with size ½ + Σx (so eight empty days do
  not make one case "impossible");
- extra day-to-day variance: when the baseline's sample variance s² exceeds its mean m, the
  moment estimate of the size is m² / (s² − m);

the smaller size (the heavier tail) is used. Pure functions, no database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

PRIOR_SHAPE = 0.5  # Jeffreys-like: half a case of prior evidence
_POISSON_SIZE = 1e9  # sizes above this are Poisson for all purposes


@dataclass(frozen=True)
class Predictive:
    """A negative binomial by its mean and size (size = inf: Poisson)."""

    mean: float
    size: float

    @property
    def variance(self) -> float:
        if math.isinf(self.size):
            return self.mean
        return self.mean + self.mean * self.mean / self.size

    def scaled(self, factor: float) -> Predictive:
        return Predictive(self.mean * factor, self.size)


def predictive_from_baseline(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, size) of the next day's count for each row of `counts` (rows × baseline days)."""
    counts = np.asarray(counts, dtype=float)
    n = counts.shape[-1]
    total = counts.sum(axis=-1)
    mean = (PRIOR_SHAPE + total) / n
    size = PRIOR_SHAPE + total
    if n > 1:
        sample_mean = total / n
        variance = counts.var(axis=-1, ddof=1)
        excess = variance - sample_mean
        with np.errstate(divide="ignore", invalid="ignore"):
            overdispersed = np.where(excess > 0, sample_mean * sample_mean / excess, np.inf)
        size = np.minimum(size, np.maximum(overdispersed, 1e-3))
    return mean, size


def sum_of(means: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A sum of independent negative binomials (along the last axis), moment-matched."""
    means = np.asarray(means, dtype=float)
    sizes = np.asarray(sizes, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        extra = np.where(np.isinf(sizes), 0.0, means * means / sizes)
    total_mean = means.sum(axis=-1)
    total_extra = extra.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        size = np.where(total_extra > 0, total_mean * total_mean / total_extra, np.inf)
    return total_mean, size


def _log_pmf(k: int, mean: float, size: float) -> float:
    if size >= _POISSON_SIZE:
        return -mean + k * math.log(mean) - math.lgamma(k + 1)
    p = size / (size + mean)
    return (
        math.lgamma(k + size)
        - math.lgamma(size)
        - math.lgamma(k + 1)
        + size * math.log(p)
        + k * math.log1p(-p)
    )


def _mode(mean: float, size: float) -> int:
    if size >= _POISSON_SIZE:
        return math.floor(mean)
    if size <= 1:
        return 0
    p = size / (size + mean)
    return math.floor((size - 1) * (1 - p) / p)


def upper_tail(k: int, mean: float, size: float) -> float:
    """P(X ≥ k) for X negative binomial with this mean and size (size = inf: Poisson).

    Summed upward from k, where the terms fall, so tiny tails keep their precision.
    """
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    size = min(size, _POISSON_SIZE * 2) if math.isinf(size) else size
    if k <= _mode(mean, size):
        below = sum(math.exp(_log_pmf(j, mean, size)) for j in range(k))
        return max(0.0, 1.0 - below)
    first = _log_pmf(k, mean, size)
    total = 0.0
    j = k
    while True:
        term = math.exp(_log_pmf(j, mean, size) - first)
        total += term
        if term < 1e-16 * total or j - k > 1_000_000:
            break
        j += 1
    return min(1.0, math.exp(first) * total)
