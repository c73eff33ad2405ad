"""The ``gaussian-2d`` data source: a fixed set of points of X = N(0, I)·A + b."""

from __future__ import annotations

import numpy as np
import scipy.stats
import torch

import ganframe
from ganframe.data import stream_seed

from .configs import AffineGaussianConfig

DATA_SET_STREAM = 200  # the random stream of the training set, derived from the seed


class AffineGaussianPoints(ganframe.Dataset):
    """A fixed training set: ``size`` points of X = Z·A + b, Z ~ N(0, I), drawn once from ``seed``.

    The truth is known: mean ``b`` and covariance AᵀA (each row of Z·A is a sum of A's rows
    weighted by independent standard normals).
    """

    def __init__(self, A: tuple[tuple[float, ...], ...], b: tuple[float, ...], size: int, seed: int) -> None:
        self.A = np.array(A, dtype=np.float64)  # (k, d)
        self.b = np.array(b, dtype=np.float64)  # (d,)
        self.sample_shape = (self.A.shape[1],)
        generator = torch.Generator().manual_seed(stream_seed(seed, DATA_SET_STREAM))
        z = torch.randn(size, self.A.shape[0], generator=generator, dtype=torch.float64)  # (size, k)
        self.points = (z @ torch.from_numpy(self.A) + torch.from_numpy(self.b)).float()  # (size, d)

    def __len__(self) -> int:
        return self.points.shape[0]

    def get(self, indices: torch.Tensor) -> torch.Tensor:
        return self.points[indices]  # (len(indices), d)

    @property
    def mean(self) -> np.ndarray:
        return self.b

    @property
    def covariance(self) -> np.ndarray:
        return self.A.T @ self.A  # (d, d)

    @property
    def reference_distribution(self):
        return scipy.stats.multivariate_normal(self.mean, self.covariance, allow_singular=True)


def make_points(config: AffineGaussianConfig, context) -> AffineGaussianPoints:
    seed = context.seed if config.data_seed is None else config.data_seed
    return AffineGaussianPoints(config.A, config.b, config.size, seed)
