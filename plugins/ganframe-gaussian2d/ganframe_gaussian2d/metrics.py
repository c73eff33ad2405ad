"""The metrics ``gaussian-error`` and ``mean-cov``: the generated samples' mean and covariance."""

from __future__ import annotations

import numpy as np
import torch

import ganframe
from ganframe.errors import ConfigError


def true_moments(data) -> tuple[np.ndarray, np.ndarray]:
    """The real data's mean ``(d,)`` and covariance ``(d, d)``, from its reference distribution."""
    distribution = data.reference_distribution
    if distribution is None:
        raise ConfigError(
            f"metric 'gaussian-error' needs a data source whose distribution is known; "
            f"{type(data).__name__} has no reference_distribution"
        )
    if callable(getattr(distribution, "mean", None)):  # a univariate scipy.stats distribution
        return np.atleast_1d(distribution.mean()), np.atleast_2d(distribution.var())
    mean, cov = getattr(distribution, "mean", None), getattr(distribution, "cov", None)
    if mean is None or cov is None:
        raise ConfigError(
            f"metric 'gaussian-error' needs a reference distribution with a mean and a "
            f"covariance; {type(distribution).__name__} has none"
        )
    return np.atleast_1d(mean), np.atleast_2d(cov)


def sample_moments(points: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """The plain estimator: mean ``(d,)`` and unbiased covariance ``(d, d)`` of ``(n, d)`` points."""
    x = points.reshape(points.shape[0], -1).double().numpy()
    return x.mean(axis=0), np.atleast_2d(np.cov(x, rowvar=False))


def relative_error(estimate: np.ndarray, target: np.ndarray, truth: np.ndarray | None = None) -> float:
    """‖estimate − target‖ / ‖truth‖ (Frobenius for matrices), ``truth`` defaulting to ``target``;
    the absolute distance when ‖truth‖ is 0."""
    scale = np.linalg.norm(target if truth is None else truth)
    error = np.linalg.norm(estimate - target)
    return float(error / scale if scale > 0 else error)


def gaussian_error(samples, context) -> dict[str, float]:
    """How far the generated samples' mean and covariance are from the truth, next to the baseline.

    ``mean_error``/``cov_error``: the generated samples against the true mean and covariance.
    ``estimator_*``: the sample mean and covariance of the real training points (all of a finite
    data set), against the truth: what a GAN has to beat. ``*_gap``: the generated samples against
    the training points' own mean and covariance (scaled by the truth's norm): how closely the GAN
    reproduced the data it saw, whatever that data's own sampling error.
    """
    mean, cov = true_moments(context.data)
    if samples[0].numel() != mean.shape[0]:
        raise ConfigError(
            f"metric 'gaussian-error': samples have {samples[0].numel()} features, the data {mean.shape[0]}"
        )
    n = len(context.data) if isinstance(context.data, ganframe.Dataset) else len(samples)
    real_mean, real_cov = sample_moments(context.data.reference_samples(n, context.generator))
    fake_mean, fake_cov = sample_moments(samples)
    return {
        "mean_error": relative_error(fake_mean, mean),
        "cov_error": relative_error(fake_cov, cov),
        "estimator_mean_error": relative_error(real_mean, mean),
        "estimator_cov_error": relative_error(real_cov, cov),
        "mean_gap": relative_error(fake_mean, real_mean, mean),
        "cov_gap": relative_error(fake_cov, real_cov, cov),
    }


def mean_cov(samples, context) -> dict[str, float]:
    """The generated samples' mean (``mean_i``) and covariance (``cov_i_j``, i ≤ j), entry by entry."""
    fake_mean, fake_cov = sample_moments(samples)
    values = {f"mean_{i}": float(m) for i, m in enumerate(fake_mean)}
    d = fake_cov.shape[0]
    values.update({f"cov_{i}_{j}": float(fake_cov[i, j]) for i in range(d) for j in range(i, d)})
    return values
