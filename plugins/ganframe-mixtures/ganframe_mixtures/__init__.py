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

This module registers the components; their options are in :mod:`.configs`. The data sources,
metric, networks and figure are imported when they are built or drawn, so that ``ganframe list`` and
``ganframe show`` do not import PyTorch or matplotlib.
"""

from __future__ import annotations

import importlib

import ganframe

from . import setups
from .configs import BatchNormMLPConfig, GridConfig, MaxoutMLPConfig, RingConfig

__all__ = ["GaussianMixture", "GridConfig", "RingConfig", "grid_means", "mixture_modes", "ring_means"]


def _load(module: str):
    """One of this package's implementation modules, imported when a component is built, not when listed."""
    return importlib.import_module(f".{module}", __name__)


@ganframe.hookimpl
def register_data_sources(register):
    register(
        "ring",
        lambda c, ctx: _load("data").make_ring(c, ctx),
        config=RingConfig,
        description="8 Gaussians (std 0.02) evenly on a circle of radius 2: the mode-collapse benchmark",
    )
    register(
        "grid",
        lambda c, ctx: _load("data").make_grid(c, ctx),
        config=GridConfig,
        description="25 Gaussians (std 0.05) at {-4, -2, 0, 2, 4}²: the mode-collapse benchmark",
    )


@ganframe.hookimpl
def register_metrics(register):
    register(
        "mixture-modes",
        lambda c, ctx: _load("metrics").make_mixture_modes(c, ctx),
        description="modes covered, share of samples within 3 std of a mode, and KL over modes from "
        "uniform (ring, grid)",
    )


@ganframe.hookimpl
def register_generators(register):
    register(
        "bn-mlp",
        lambda c, ctx: _load("networks").make_bn_mlp(c, ctx),
        config=BatchNormMLPConfig,
        description="fully connected generator, batch norm and ReLU after each hidden layer (PacGAN paper)",
    )


@ganframe.hookimpl
def register_discriminators(register):
    register(
        "maxout-mlp",
        lambda c, ctx: _load("networks").make_maxout_mlp(c, ctx),
        config=MaxoutMLPConfig,
        description="LinearMaxout layers (200 units x 5 pieces, PacGAN paper) and one logit",
    )


@ganframe.hookimpl
def register_setups(register):
    register(
        "ring",
        setups.presets("ring"),
        description="8 Gaussians on a circle: count the modes a GAN finds (Unrolled GAN, VEEGAN, PacGAN)",
    )
    register(
        "grid",
        setups.presets("grid"),
        description="25 Gaussians on a 5x5 grid: count the modes a GAN finds (VEEGAN, PacGAN)",
    )


@ganframe.hookimpl
def draw_figures(experiment, run_dir, samples):
    if isinstance(experiment.data, _load("data").GaussianMixture):
        _load("figure").draw_modes(run_dir, experiment.data, samples.generated)


#: Names of the implementation modules, importable from here as before (imported on first use).
_ELSEWHERE = {
    "GaussianMixture": "data",
    "grid_means": "data",
    "ring_means": "data",
    "make_grid": "data",
    "make_ring": "data",
    "mixture_modes": "metrics",
    "make_mixture_modes": "metrics",
    "make_bn_mlp": "networks",
    "make_maxout_mlp": "networks",
    "draw_modes": "figure",
}


def __getattr__(name: str):
    if name in _ELSEWHERE:
        return getattr(_load(_ELSEWHERE[name]), name)
    if name in ("data", "metrics", "networks", "figure"):  # ganframe_mixtures.data... without importing it first
        return _load(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
