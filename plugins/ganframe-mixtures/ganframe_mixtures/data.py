"""The real data: mixtures of equally likely, isotropic 2-D Gaussians.

These are the mode-collapse benchmarks of the Unrolled GAN, VEEGAN and PacGAN papers. Each mode
is a narrow Gaussian far from the others, so you can see from the samples alone which modes a
generator found and which it dropped (see :mod:`ganframe_mixtures.metrics`).

* ``ring``: ``modes`` Gaussians (8) whose means lie evenly on a circle of radius ``radius`` (2.0),
  the first at angle 0, each with standard deviation ``std`` (0.02).
* ``grid``: ``size``² Gaussians (25) whose means are spacing · (i − (size − 1)/2) for i = 0 … size − 1
  in each coordinate, so {−4, −2, 0, 2, 4}² by default, each with standard deviation ``std`` (0.05).

Both are distributions: every batch is drawn afresh from the trainer's generator.
"""

from __future__ import annotations

import math

import torch

import ganframe

from .configs import GridConfig, RingConfig


def ring_means(modes: int, radius: float) -> torch.Tensor:
    """``(modes, 2)`` float64: points evenly on the circle of ``radius`` around 0, the first at (radius, 0)."""
    angles = 2 * math.pi * torch.arange(modes, dtype=torch.float64) / modes  # (modes,)
    return radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)  # (modes, 2)


def grid_means(size: int, spacing: float) -> torch.Tensor:
    """``(size², 2)`` float64: the square grid of ``size`` points a side, ``spacing`` apart, centred on 0."""
    axis = spacing * (torch.arange(size, dtype=torch.float64) - (size - 1) / 2)  # (size,)
    x, y = torch.meshgrid(axis, axis, indexing="ij")  # (size, size) each
    return torch.stack([x.reshape(-1), y.reshape(-1)], dim=1)  # (size², 2)


class GaussianMixture(ganframe.Distribution):
    """Equally likely 2-D Gaussians N(mean_k, std² I), one per row of ``means``.

    ``means`` (float64) and ``std`` are public because the ``mixture-modes`` metric scores samples
    against them.
    """

    sample_shape = (2,)

    def __init__(self, means: torch.Tensor, std: float) -> None:
        self._means = means.to(torch.float64).clone()  # (modes, 2)
        self.std = float(std)
        self._centres: dict[torch.device, torch.Tensor] = {}  # the means as float32 on each device used

    @property
    def means(self) -> torch.Tensor:
        """``(modes, 2)`` float64: the centre of every mode (a copy)."""
        return self._means.clone()

    @property
    def modes(self) -> int:
        return self._means.shape[0]

    def sample(self, n: int, *, generator: torch.Generator, device: torch.device) -> torch.Tensor:
        """``(n, 2)`` float32: a uniformly chosen mode per sample plus N(0, std² I) noise, all drawn from
        ``generator`` on ``device``."""
        device = torch.device(device)
        if device not in self._centres:  # copy the means to a device once, not every batch
            self._centres[device] = self._means.float().to(device)  # (modes, 2)
        modes = torch.randint(0, self.modes, (n,), generator=generator, device=device)  # (n,)
        noise = torch.randn(n, 2, generator=generator, device=device)  # (n, 2)
        return self._centres[device][modes] + self.std * noise  # (n, 2)


def make_ring(config: RingConfig, context) -> GaussianMixture:
    return GaussianMixture(ring_means(config.modes, config.radius), config.std)


def make_grid(config: GridConfig, context) -> GaussianMixture:
    return GaussianMixture(grid_means(config.size, config.spacing), config.std)
