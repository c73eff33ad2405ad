"""The ``gaussian-1d`` data source: N(mean, std²), one feature per sample."""

from __future__ import annotations

import scipy.stats
import torch

import ganframe


class Gaussian1D(ganframe.Distribution):
    """Real data: N(mean, std²), one feature per sample."""

    sample_shape = (1,)

    def __init__(self, mean: float, std: float) -> None:
        self.mean, self.std = mean, std

    def sample(self, n: int, *, generator: torch.Generator, device: torch.device) -> torch.Tensor:
        return torch.randn(n, 1, generator=generator, device=device) * self.std + self.mean  # (n, 1)

    @property
    def reference_distribution(self):
        return scipy.stats.norm(self.mean, self.std)
