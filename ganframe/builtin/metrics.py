"""Metrics for one-dimensional data: moments, 1-Wasserstein distance and Kolmogorov–Smirnov statistic.

Each compares against the data source's ``reference_distribution`` (a frozen ``scipy.stats``
distribution) when it has one, and otherwise against real samples drawn from it.
"""

from __future__ import annotations

import numpy as np
import scipy.stats
import torch

from ganframe.errors import ConfigError
from ganframe.hookimpl import hookimpl

from .two_sample import two_sample

REFERENCE_POINTS = 100_000  # quantiles of an analytic reference used for the Wasserstein distance


def one_dimensional(samples: torch.Tensor, metric: str) -> np.ndarray:
    """Samples as a float64 vector; a clear error for data with more than one feature."""
    if samples[0].numel() != 1:
        raise ConfigError(f"metric {metric!r} needs one-dimensional samples, got shape {tuple(samples.shape[1:])}")
    return samples.reshape(-1).double().numpy()


def moments(samples, context) -> dict[str, float]:
    """Mean, std, skew and excess kurtosis of the samples."""
    x = one_dimensional(samples, "moments")
    return {
        "mean": float(x.mean()),
        "std": float(x.std()),
        "skew": float(scipy.stats.skew(x)),
        "kurtosis": float(scipy.stats.kurtosis(x)),  # excess: 0 for a Gaussian
    }


def _reference(context, n: int) -> tuple[np.ndarray, object | None]:
    distribution = context.data.reference_distribution
    if distribution is not None:
        quantiles = (np.arange(REFERENCE_POINTS) + 0.5) / REFERENCE_POINTS
        return distribution.ppf(quantiles), distribution
    real = context.data.reference_samples(n, context.generator)
    return one_dimensional(real, "reference"), None


def wasserstein(samples, context) -> dict[str, float]:
    """1-Wasserstein (earth mover's) distance between the samples and the real distribution."""
    x = one_dimensional(samples, "wasserstein")
    reference, _ = _reference(context, len(x))
    return {"wasserstein": float(scipy.stats.wasserstein_distance(x, reference))}


def kolmogorov_smirnov(samples, context) -> dict[str, float]:
    """Kolmogorov–Smirnov statistic: the largest gap between the two cumulative distributions."""
    x = one_dimensional(samples, "ks")
    distribution = context.data.reference_distribution
    if distribution is not None:
        result = scipy.stats.kstest(x, distribution.cdf)
    else:
        reference, _ = _reference(context, len(x))
        result = scipy.stats.ks_2samp(x, reference)
    return {"ks": float(result.statistic)}


@hookimpl
def register_metrics(register):
    register("moments", lambda c, ctx: moments, description="mean, std, skew, excess kurtosis (1-D)")
    register("wasserstein", lambda c, ctx: wasserstein, description="1-Wasserstein distance to the real data (1-D)")
    register("ks", lambda c, ctx: kolmogorov_smirnov, description="Kolmogorov-Smirnov statistic (1-D)")
    register("two-sample", lambda c, ctx: two_sample,
             description="energy-distance permutation test and per-dimension KS test against real data (low-D)")
