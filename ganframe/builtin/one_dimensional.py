"""The built-in metrics for one-dimensional data (``moments``, ``wasserstein``, ``ks``), imported
when one is built; :mod:`ganframe.builtin.metrics` registers them."""

from __future__ import annotations

import numpy as np
import scipy.stats
import torch

from ganframe.errors import ConfigError

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
