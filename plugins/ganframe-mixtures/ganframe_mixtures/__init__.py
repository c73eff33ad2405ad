"""ganframe mixtures: the 2-D mode-collapse benchmark of the Unrolled GAN, VEEGAN and PacGAN papers.

A GAN that collapses drops modes of its data. On these data sets the modes are narrow Gaussians
far apart, so dropped modes can be counted.

Data sources (``data.name``), see :mod:`.data`:

* ``ring`` — 8 Gaussians of std 0.02 evenly on a circle of radius 2 (``modes``, ``radius``, ``std``);
* ``grid`` — 25 Gaussians of std 0.05 at {−4, −2, 0, 2, 4}² (``size``, ``spacing``, ``std``).

Metric (``evaluation.metrics``), see :mod:`.metrics`: ``mixture-modes`` → ``high_quality``,
``modes``, ``reverse_kl`` and ``modes_total``; it needs the ``ring`` or ``grid`` data source.
The papers score 2,500 samples: ``evaluation.samples = 2500``.

No setups yet: ``benchmarks/configs/ring.toml`` in the ganframe repository trains on the ring.
"""

from __future__ import annotations

import ganframe

from .data import GaussianMixture, GridConfig, RingConfig, grid_means, make_grid, make_ring, ring_means
from .metrics import make_mixture_modes, mixture_modes

__all__ = ["GaussianMixture", "GridConfig", "RingConfig", "grid_means", "mixture_modes", "ring_means"]


@ganframe.hookimpl
def register_data_sources(register):
    register("ring", make_ring, config=RingConfig,
             description="8 Gaussians (std 0.02) evenly on a circle of radius 2: the mode-collapse benchmark")
    register("grid", make_grid, config=GridConfig,
             description="25 Gaussians (std 0.05) at {-4, -2, 0, 2, 4}²: the mode-collapse benchmark")


@ganframe.hookimpl
def register_metrics(register):
    register("mixture-modes", make_mixture_modes,
             description="modes covered, share of samples within 3 std of a mode, and KL over modes from "
                         "uniform (ring, grid)")
