"""Small-count statistics for spike tests, without a SciPy dependency in the hot path."""
from __future__ import annotations

import math


def poisson_sf(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean): the chance of seeing k or more by luck alone."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    if k <= mean:  # the tail is large: subtract the short head instead
        head, term = 0.0, math.exp(-mean)
        for i in range(k):
            head += term
            term *= mean / (i + 1)
        return max(0.0, 1.0 - head)
    term = math.exp(-mean + k * math.log(mean) - math.lgamma(k + 1))
    total, i = 0.0, k
    while term > total * 1e-15 and i < k + 10_000:
        total += term
        i += 1
        term *= mean / i
    return min(1.0, total)


def negative_binomial_sf(k: int, mean: float, shape: float) -> float:
    """P(X >= k) for X ~ NegativeBinomial(mean, shape): a Poisson count whose rate is itself
    uncertain, Gamma-distributed as learnt from `shape` events. It has a heavier tail than
    Poisson's with the same mean, and tends to it as `shape` grows; with nothing learnt
    (`shape` 0) nothing stands out."""
    if k <= 0 or shape <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    p = shape / (shape + mean)
    if k <= mean:  # the tail is large: subtract the short head instead
        head, term = 0.0, p ** shape
        for i in range(k):
            head += term
            term *= (i + shape) / (i + 1) * (1 - p)
        return max(0.0, 1.0 - head)
    term = math.exp(math.lgamma(k + shape) - math.lgamma(shape) - math.lgamma(k + 1)
                    + shape * math.log(p) + k * math.log1p(-p))
    total, i = 0.0, k
    while term > total * 1e-15 and i < k + 100_000:
        total += term
        term *= (i + shape) / (i + 1) * (1 - p)
        i += 1
    return min(1.0, total)
