"""ganframe setup ``mnist``: generate handwritten digits like MNIST's.

From James Loy, "GANs — Illustrated, explained and coded" (PyTorch Lightning).

Presets:

* ``tutorial`` — the article exactly: MLP generator 100-256-512-1024-784 (LeakyReLU 0.01, Tanh),
  MLP discriminator 784-1024-512-256-1 (LeakyReLU 0.01, Sigmoid), data in [-1, 1], batch 128,
  Adam 2e-4 with default betas, G step first then a D step on fresh noise with the real and fake
  BCE terms summed; 100 epochs (46,800 rounds: the core drops the last incomplete batch of each
  epoch, so an epoch is 468 rounds, not 469).
* ``default`` — ours: an MLP generator 100-128-256-512-784 with batch normalisation, an MLP
  discriminator 784-512-256-1 on logits with the ``minibatch-std`` extra (both ``mnist-mlp``), Adam
  with betas (0.5, 0.999) at 4e-4 for G and 1.6e-3 for D, the non-saturating loss, batch 64;
  samples and metrics from a moving average of G's weights (the ``ema`` extra, decay 0.999);
  20 epochs (937 rounds each), about five minutes on two CPU cores.
* ``conditional`` — the default, class-conditional (``conditional = true``, ``conditional_input =
  true``): the digit is joined to the noise, to the discriminator's input and, by projection, to
  its features; ``ganframe sample RUN --label K``.

Data: see :mod:`ganframe_mnist.data` (``data_dir``, ``GANFRAME_MNIST_DIR``, or a download).
Metrics: see :mod:`ganframe_mnist.metrics` (``fd``, ``digit_entropy``, ``digits_seen``, the rarest
and commonest digit's shares).
Samples are images (N, 1, 28, 28) in [0, 1]: ``ganframe sample RUN -n 100 -o digits.png`` writes a grid.

Layout: this module registers the components and holds the presets, :mod:`.configs` their options;
:mod:`.data`, :mod:`.networks` and :mod:`.metrics` are imported when a component is built, so that
``ganframe list`` and ``ganframe show`` do not import PyTorch or torchvision.
"""

from __future__ import annotations

import importlib

import ganframe

from .configs import (
    BatchNormMLPConfig,
    ConvDiscriminatorConfig,
    ConvGeneratorConfig,
    MLPDiscriminatorConfig,
    MnistConfig,
)

TRAINING_IMAGES = 60_000


def rounds_per_epoch(batch_size: int) -> int:
    """Rounds in one pass over the training set: the core drops the last incomplete batch."""
    return TRAINING_IMAGES // batch_size


METRICS = ["mnist-fd", "mnist-digits"]

TUTORIAL = {
    "data": {"name": "mnist"},
    "noise": {"name": "normal", "dim": 100},
    "generator": {
        "name": "mlp",
        "hidden": [256, 512, 1024],
        "activation": "leaky-relu",
        "negative_slope": 0.01,
        "output_activation": "tanh",
        "optimizer": {"name": "adam", "lr": 2e-4, "betas": [0.9, 0.999]},
    },
    "discriminator": {
        "name": "mlp",
        "hidden": [1024, 512, 256],
        "activation": "leaky-relu",
        "negative_slope": 0.01,
        "output": "probabilities",
        "optimizer": {"name": "adam", "lr": 2e-4, "betas": [0.9, 0.999]},
    },
    "loss": {"name": "non-saturating", "d_terms": "sum"},
    "strategy": {"name": "alternating", "d_steps": 1, "g_steps": 1, "order": "g-first"},
    "train": {
        "steps": 100 * rounds_per_epoch(128),
        "batch_size": 128,
        "log_every": rounds_per_epoch(128),
        "threads": 1,
    },
    "evaluation": {"metrics": METRICS, "samples": 10_000},
}

# Ours. Batch normalisation in the generator and Adam with beta1 = 0.5 (Radford et al., 2016) keep
# the generator from collapsing onto one blob. The discriminator's minibatch-standard-deviation
# input (the minibatch-std extra of ganframe-extras) lets it see a batch that lacks variety, and its
# learning rate four times the generator's (Heusel et al., 2017) keeps it a good judge of which
# digits are missing: with a weaker D (dropout 0.3, the same rate as G) the samples held too few 8s
# and 6s. Batch 64 gives twice the updates of the tutorial's batch 128 per epoch, and smaller
# networks keep an epoch cheaper than the tutorial's.
# The moving average of G's weights (Yazici et al., 2019) draws what the last iterate only passes
# through: after 20 epochs its samples score FD 2.8 on seed 0, the last iterate's 11.0 (real
# training digits: 1.1; see the README's MNIST table).
DEFAULT = {
    "data": {"name": "mnist"},
    "noise": {"name": "normal", "dim": 100},
    "generator": {
        "name": "mnist-mlp",
        "hidden": [128, 256, 512],
        "extras": ["ema"],
        "optimizer": {"name": "adam", "lr": 4e-4, "betas": [0.5, 0.999]},
    },
    "discriminator": {
        "name": "mnist-mlp",
        "hidden": [512, 256],
        "dropout": 0.0,
        "extras": ["minibatch-std"],
        "optimizer": {"name": "adam", "lr": 1.6e-3, "betas": [0.5, 0.999]},
    },
    "loss": {"name": "non-saturating"},
    "strategy": {"name": "alternating", "d_steps": 1, "g_steps": 1, "order": "d-first"},
    "train": {"steps": 20 * rounds_per_epoch(64), "batch_size": 64, "log_every": rounds_per_epoch(64), "threads": 1},
    "evaluation": {"metrics": METRICS, "samples": 10_000},
}

# The default preset, class-conditional: ``ganframe sample RUN -n 100 --label 7 -o sevens.png``.
CONDITIONAL = {**DEFAULT, "conditional": True, "conditional_input": True}

PRESETS = {"default": DEFAULT, "tutorial": TUTORIAL, "conditional": CONDITIONAL}


def _load(module: str):
    """One of this package's implementation modules, imported when a component is built, not when listed."""
    return importlib.import_module(f".{module}", __name__)


@ganframe.hookimpl
def register_data_sources(register):
    register(
        "mnist",
        lambda config, context: _load("data").load_mnist(config),
        config=MnistConfig,
        description="MNIST handwritten digits (torchvision), (1, 28, 28) in [-1, 1]",
    )


@ganframe.hookimpl
def register_generators(register):
    register(
        "mnist-mlp",
        lambda c, ctx: _load("networks").BatchNormMLP(c, ctx.noise_dim, ctx.sample_shape),
        config=BatchNormMLPConfig,
        description="fully connected generator with batch normalisation",
    )
    register(
        "mnist-conv",
        lambda c, ctx: _load("networks").ConvGenerator(c, ctx.noise_dim, ctx.sample_shape),
        config=ConvGeneratorConfig,
        description="small DCGAN-style generator of 28x28 images",
    )


@ganframe.hookimpl
def register_discriminators(register):
    register(
        "mnist-conv",
        lambda c, ctx: _load("networks").ConvDiscriminator(c, ctx.sample_shape),
        config=ConvDiscriminatorConfig,
        description="small DCGAN-style discriminator of 28x28 images",
    )
    register(
        "mnist-mlp",
        lambda c, ctx: _load("networks").MLPDiscriminator(c, ctx.sample_shape),
        config=MLPDiscriminatorConfig,
        description="fully connected discriminator with dropout",
    )


@ganframe.hookimpl
def register_metrics(register):
    register(
        "mnist-fd",
        lambda config, context: _load("metrics").fd,
        description="Frechet distance to MNIST's test set in a small digit classifier's features",
    )
    register(
        "mnist-digits",
        lambda config, context: _load("metrics").digits,
        description="entropy (bits) of the classified digits of the samples, and digits seen",
    )


@ganframe.hookimpl
def register_setups(register):
    register("mnist", PRESETS, description="handwritten digits (Loy, 'GANs - Illustrated, explained and coded')")


#: Names of the implementation modules, importable from here as before (imported on first use).
_ELSEWHERE = {
    "load_mnist": "data",
    "BatchNormMLP": "networks",
    "ConvGenerator": "networks",
    "ConvDiscriminator": "networks",
    "MLPDiscriminator": "networks",
}


def __getattr__(name: str):
    if name in _ELSEWHERE:
        return getattr(_load(_ELSEWHERE[name]), name)
    if name in ("data", "networks", "metrics", "classifier"):  # ganframe_mnist.data... without importing it first
        return _load(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
