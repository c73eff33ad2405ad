"""ganframe plugin ``infogan``: InfoGAN (Chen et al., 2016, "InfoGAN: Interpretable Representation
Learning by Information Maximizing Generative Adversarial Nets") on MNIST.

Setup ``infogan-mnist``, presets:

* ``tutorial`` — the paper's MNIST configuration (Appendix C.1, Table 1): G FC 1024 BN ReLU → FC
  7·7·128 BN ReLU → 4x4 upconv 64 stride 2 BN ReLU → 4x4 upconv 1 stride 2; D 4x4 conv 64 stride 2
  lReLU → 4x4 conv 128 stride 2 BN lReLU → FC 1024 BN lReLU → FC 1; Adam 1e-3 for G and 2e-4 for D
  (beta1 0.5, as in the authors' code); batch 100; noise 62-D z, a 10-way categorical code and 2
  continuous codes ~ uniform(-1, 1); λ = 1. Q is the paper's head (FC 128 BN lReLU FC) on D's
  1024 features, a role of its own (``infogan-q`` with ``reads = "discriminator"``) whose
  optimiser has D's learning rate. 5,000 rounds.
* ``default`` — ours: the MNIST plugin's small ``mnist-conv`` G and D (width 64), Adam 1e-3 for G,
  D and Q (beta1 0.5), a small Q of its own (``infogan-q``, width 32, hidden 64), batch 64, 6,000
  rounds (about 5 CPU-minutes). Noise: **2-D z**, the 10-way code and 2 continuous codes with
  λ_cont = 0.1. A small z is what made the categorical code carry the digit most (see the measured
  runs in the comment above :data:`ganframe_infogan.setups.DEFAULT`); the codes still are not one
  digit each on every seed (purity about 0.75 on seed 0).

Components:

* noise ``infogan`` (``z_dim`` 62, ``categories`` 10, ``continuous`` 2): ``[z ~ N(0, I) | one-hot
  category | uniform(-1, 1) codes]``; ``with_codes(z, category, continuous)`` and ``codes(noise)``
  build and read noise vectors (:mod:`ganframe_infogan.noise`).
* network ``infogan-q`` for ``[networks.q]`` (``width``, ``hidden``, ``negative_slope``,
  ``learn_std``, ``reads``, ``features``): → (category logits, continuous means, log-stds). With
  ``reads = "samples"`` (default) a network of its own on the sample, convolutional for images and
  an MLP for vectors; with ``reads = "discriminator"`` the paper's Q head on D's ``features``
  penultimate features (the strategy then trains D's body on the information loss too).
  Generator and discriminator ``infogan-paper``: the paper's networks.
* strategy ``infogan`` (``lambda_cat`` 1, ``lambda_cont`` 1, ``d_steps`` 1; needs ``[networks.q]``
  and the ``infogan`` noise): D's update with the experiment's loss, then G and Q together on G's
  loss plus the information loss, D frozen. Logs ``d_loss``, ``g_loss``, ``info_loss``.
* metric ``infogan-codes`` (MNIST and 10 categories only): ``purity`` (share of samples showing the
  majority digit of their category code) and ``digits_covered`` (distinct majority digits, of 10).
* figures ``infogan-cont1.png``, ``infogan-cont2.png``: categories by rows, one continuous code from
  -2 to 2 by columns.

Usage::

    ganframe train infogan-mnist --seed 0 --set data.data_dir=../shared/data/mnist
    ganframe train infogan-mnist --preset tutorial --steps 2000
    ganframe train mnist --set noise=infogan --set strategy=infogan --set networks.q=infogan-q \\
        --set 'evaluation.metrics=["infogan-codes"]'

or from Python: ``Experiment.from_setup("infogan-mnist", seed=1).fit()["metrics"]["purity"]``.

This module registers the components; their options are in :mod:`.configs` and the presets in
:mod:`.setups`. The noise, networks, strategy, metric and figures are imported when they are built
or drawn, so that ``ganframe list`` and ``ganframe show`` do not import PyTorch or matplotlib.
"""

from __future__ import annotations

import importlib

import ganframe

from .configs import InfoGanConfig, InfoGanNoiseConfig, PaperDiscriminatorConfig, PaperGeneratorConfig, QConfig
from .setups import PRESETS

__all__ = [
    "CodePurity",
    "InfoGan",
    "InfoGanConfig",
    "InfoGanNoise",
    "InfoGanNoiseConfig",
    "PaperDiscriminator",
    "PaperGenerator",
    "QConfig",
    "QNetwork",
    "code_statistics",
    "info_loss",
]


def _load(module: str):
    """One of this package's implementation modules, imported when a component is built, not when listed."""
    return importlib.import_module(f".{module}", __name__)


@ganframe.hookimpl
def register_noise(register):
    register(
        "infogan",
        lambda config, context: _load("noise").InfoGanNoise.from_config(config),
        config=InfoGanNoiseConfig,
        description="InfoGAN's [z ~ N(0, I) | one-hot category | continuous codes ~ U(-1, 1)]",
    )


@ganframe.hookimpl
def register_networks(register):
    register(
        "infogan-q",
        lambda c, ctx: _load("networks").make_q(c, ctx),
        config=QConfig,
        description="InfoGAN's Q: sample -> category logits, continuous means (and log-stds)",
    )


@ganframe.hookimpl
def register_generators(register):
    register(
        "infogan-paper",
        lambda c, ctx: _load("networks").PaperGenerator(c, ctx.noise_dim, ctx.sample_shape),
        config=PaperGeneratorConfig,
        description="InfoGAN paper's MNIST generator (FC 1024, FC 7x7x128, 2 upconvs)",
    )


@ganframe.hookimpl
def register_discriminators(register):
    register(
        "infogan-paper",
        lambda c, ctx: _load("networks").PaperDiscriminator(c, ctx.sample_shape),
        config=PaperDiscriminatorConfig,
        description="InfoGAN paper's MNIST discriminator (2 convs, FC 1024, batch norm)",
    )


@ganframe.hookimpl
def register_strategies(register):
    register(
        "infogan",
        lambda c, ctx: _load("strategy").make_infogan(c, ctx),
        config=InfoGanConfig,
        description="InfoGAN: D step, then G and Q together on G's loss + the codes' information loss",
    )


@ganframe.hookimpl
def register_metrics(register):
    register(
        "infogan-codes",
        lambda c, ctx: _load("metric").make_code_purity(c, ctx),
        description="InfoGAN on MNIST: purity of the digits per categorical code, and digits covered",
    )


@ganframe.hookimpl
def draw_figures(experiment, run_dir, samples):
    if isinstance(getattr(experiment, "noise", None), _load("noise").InfoGanNoise):  # an InfoGAN run
        _load("figures").draw(experiment, run_dir, samples)


@ganframe.hookimpl
def register_setups(register):
    register("infogan-mnist", PRESETS, description="InfoGAN on MNIST: a categorical code per digit (Chen et al. 2016)")


#: Names of the implementation modules, importable from here as before (imported on first use).
_ELSEWHERE = {
    "CodePurity": "metric",
    "code_statistics": "metric",
    "make_code_purity": "metric",
    "PaperDiscriminator": "networks",
    "PaperGenerator": "networks",
    "QNetwork": "networks",
    "make_q": "networks",
    "InfoGanNoise": "noise",
    "InfoGan": "strategy",
    "info_loss": "strategy",
    "make_infogan": "strategy",
}


def __getattr__(name: str):
    if name in _ELSEWHERE:
        return getattr(_load(_ELSEWHERE[name]), name)
    if name in ("figures", "metric", "networks", "noise", "strategy"):  # without importing it first
        return _load(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
