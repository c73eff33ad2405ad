"""ganframe mixtures: the 2-D mode-collapse benchmark of the Unrolled GAN, VEEGAN and PacGAN papers.

A GAN that collapses drops modes of its data. On these data sets the modes are narrow Gaussians
far apart, so dropped modes can be counted.

Setups ``ring`` and ``grid`` (``ganframe train ring``), see :mod:`.setups` for their presets:
``default`` (ours), ``tutorial`` (the PacGAN paper's plain GAN), ``pacgan``, ``unrolled`` and ``ali``.

Data sources (``data.name``), see :mod:`.data`:

* ``ring`` — 8 Gaussians of std 0.02 evenly on a circle of radius 2 (``modes``, ``radius``, ``std``);
* ``grid`` — 25 Gaussians of std 0.05 at {−4, −2, 0, 2, 4}² (``size``, ``spacing``, ``std``).

Metric (``evaluation.metrics``), see :mod:`.metrics`: ``mixture-modes`` → ``high_quality``,
``modes``, ``reverse_kl`` and ``modes_total``; it needs the ``ring`` or ``grid`` data source.
The papers score 2,500 samples: ``evaluation.samples = 2500``.

Networks, see :mod:`.networks`: the PacGAN paper's generator ``bn-mlp`` and discriminator
``maxout-mlp``. Figure: ``modes.png`` in every run on ring or grid data, see :mod:`.figure`.
"""

from __future__ import annotations

import ganframe

from . import setups
from .data import GaussianMixture, GridConfig, RingConfig, grid_means, make_grid, make_ring, ring_means
from .figure import draw_modes
from .metrics import make_mixture_modes, mixture_modes
from .networks import BatchNormMLPConfig, MaxoutMLPConfig, make_bn_mlp, make_maxout_mlp

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


@ganframe.hookimpl
def register_generators(register):
    register("bn-mlp", make_bn_mlp, config=BatchNormMLPConfig,
             description="fully connected generator, batch norm and ReLU after each hidden layer (PacGAN paper)")


@ganframe.hookimpl
def register_discriminators(register):
    register("maxout-mlp", make_maxout_mlp, config=MaxoutMLPConfig,
             description="LinearMaxout layers (200 units x 5 pieces, PacGAN paper) and one logit")


@ganframe.hookimpl
def register_setups(register):
    register("ring", setups.presets("ring"),
             description="8 Gaussians on a circle: count the modes a GAN finds (Unrolled GAN, VEEGAN, PacGAN)")
    register("grid", setups.presets("grid"),
             description="25 Gaussians on a 5x5 grid: count the modes a GAN finds (VEEGAN, PacGAN)")


@ganframe.hookimpl
def draw_figures(experiment, run_dir, samples):
    if isinstance(experiment.data, GaussianMixture):
        draw_modes(run_dir, experiment.data, samples.generated)
