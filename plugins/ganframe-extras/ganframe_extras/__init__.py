"""ganframe extras: the well-known GAN stabilisation tricks, for any setup, by configuration.

Network extras (``generator.extras`` / ``discriminator.extras``), see :mod:`.features` and
:mod:`.training` and :mod:`.packing`: ``minibatch-discrimination``, ``minibatch-std``,
``spectral-norm``, ``ema`` (G), ``instance-noise`` and ``pack`` (PacGAN: D judges m examples at once).

Losses (``loss.name``), see :mod:`.losses`: ``least-squares``, ``hinge``, ``wasserstein`` (with
weight clipping), ``wasserstein-gp``, ``feature-matching`` and ``bce`` (one-sided label smoothing,
noisy labels); every one of them takes ``r1``, an R1 penalty on real data.

Built only on ganframe's public hooks::

    ganframe train even --preset tutorial --set 'discriminator.extras=["minibatch-discrimination"]'
    ganframe train gaussian2d --set loss.name=wasserstein-gp --set strategy.d_steps=5

This module registers the components; their options are in :mod:`.configs`. The other modules are
imported when a component is built, so that ``ganframe list`` and ``ganframe show`` do not import
PyTorch.
"""

from __future__ import annotations

import importlib

from ganframe import hookimpl

from .configs import (
    BCEConfig,
    EMAConfig,
    GradientPenaltyConfig,
    InstanceNoiseConfig,
    MinibatchDiscriminationConfig,
    PackConfig,
    R1Config,
    WassersteinConfig,
)


def _load(module: str):
    """One of this package's implementation modules, imported when a component is built, not when listed."""
    return importlib.import_module(f".{module}", __name__)


@hookimpl
def register_network_extras(register):
    register(
        "minibatch-discrimination",
        lambda c, ctx: _load("features").minibatch_discrimination(c, ctx),
        config=MinibatchDiscriminationConfig,
        description="D: closeness to the rest of the batch before the last layer (Salimans 2016)",
    )
    register(
        "minibatch-std",
        lambda c, ctx: _load("features").minibatch_std(c, ctx),
        description="D: the batch's mean feature standard deviation before the last layer (Karras 2018)",
    )
    register(
        "spectral-norm",
        lambda c, ctx: _load("features").spectral_norm(c, ctx),
        description="divide every linear/conv weight by its largest singular value (Miyato 2018)",
    )
    register(
        "ema",
        lambda c, ctx: _load("training").ema(c, ctx),
        config=EMAConfig,
        description="G: sample and evaluate with a moving average of its weights (decay 0.999)",
    )
    register(
        "instance-noise",
        lambda c, ctx: _load("training").instance_noise(c, ctx),
        config=InstanceNoiseConfig,
        description="D: Gaussian noise on every input while training, annealed to 0 (Sonderby 2017)",
    )
    register(
        "pack",
        lambda c, ctx: _load("packing").pack(c, ctx),
        config=PackConfig,
        description="D: judges m examples at once, all real or all fake (PacGAN, Lin et al. 2018)",
    )


@hookimpl
def register_losses(register):
    register(
        "least-squares",
        lambda c, ctx: _load("losses").LeastSquares(c),
        config=R1Config,
        description="LSGAN: squared distance of D's scores to 1 (real) and 0 (fake)",
    )
    register(
        "hinge",
        lambda c, ctx: _load("losses").Hinge(c),
        config=R1Config,
        description="hinge loss: D max(0, 1 - D(x)) + max(0, 1 + D(G(z))); G -D(G(z))",
    )
    register(
        "wasserstein",
        lambda c, ctx: _load("losses").Wasserstein(c),
        config=WassersteinConfig,
        description="WGAN: critic difference, D's weights clipped to [-clip, clip]",
    )
    register(
        "wasserstein-gp",
        lambda c, ctx: _load("losses").WassersteinGP(c),
        config=GradientPenaltyConfig,
        description="WGAN-GP: critic difference plus gp_weight (|grad D| - 1)^2 between real and fake",
    )
    register(
        "feature-matching",
        lambda c, ctx: _load("losses").FeatureMatching(c),
        config=BCEConfig,
        description="G matches the mean of D's last-layer features on real and fake (Salimans 2016)",
    )
    register(
        "bce",
        lambda c, ctx: _load("losses").BCE(c),
        config=BCEConfig,
        description="non-saturating BCE with one-sided label smoothing (real_label) and noisy labels (flip)",
    )


@hookimpl
def fit_callbacks(experiment):
    """For a fit whose networks hold round-aware extras (ema, annealed instance noise): advances them
    after every round. Without such extras nothing is called per round."""
    return _load("training").RoundAwareExtras.of(experiment)


def __getattr__(name: str):
    if name in ("features", "losses", "packing", "training"):  # ganframe_extras.losses... without importing it first
        return _load(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
