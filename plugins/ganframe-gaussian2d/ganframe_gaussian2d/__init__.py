"""ganframe setup ``gaussian2d``: learn a 2-D Gaussian X = N(0, I)·A + b from a fixed set of points.

From MXNet "The Straight Dope", chapter "Generative Adversarial Networks" (the GAN introduction),
which calls it "the world's most inefficient estimator of parameters for a Gaussian".

Presets:

* ``tutorial`` — the article's code exactly: 1,000 points with A = [[1, 2], [-0.1, 0.5]],
  b = [1, 2]; a generator that is one linear layer 2 → 2; a discriminator 2 → 5 tanh → 3 tanh → 2
  logits trained with softmax cross-entropy (this plugin's ``softmax-cross-entropy`` loss, label 1
  real, 0 fake); all weights N(0, 0.02), biases zero; Adam with lr 0.01 for G and 0.05 for D, betas
  (0.9, 0.999); batches of 4 for 10 epochs; each round one D step, then one G step on the same fake
  batch (this plugin's ``straight-dope`` strategy), which also logs D's accuracy, per epoch as the
  article prints it.
* ``default`` — ours, on the same 1,000 points and the same linear generator: a smooth (ELU)
  discriminator learning eight times faster than G, the minimax loss, half the data set per batch
  and 2,000 rounds with learning rates falling to zero (under 10 s of training on one CPU core). It reproduces
  its training points' mean to within about 0.5 % and their covariance to within about 2 %. How
  close that is to the truth is then up to the 1,000 points: their own sample mean misses b by
  0.6-8.7 % over seeds 0-4.

Metrics: ``gaussian-error`` (relative errors of the learned mean and covariance, and of the plain
sample estimator on the training points, the baseline a GAN competes with) and ``mean-cov`` (the
generated samples' mean and covariance, entry by entry).

Layout: this module registers the components and holds the presets, :mod:`.configs` their options;
the data source is in :mod:`.data`, the metrics in :mod:`.metrics`, the loss and the strategy in
:mod:`.training`, imported when they are built, so that ``ganframe list`` and ``ganframe show`` do
not import PyTorch, NumPy or SciPy.
"""

from __future__ import annotations

import importlib

import ganframe

from .configs import AffineGaussianConfig, SoftmaxCrossEntropyConfig, StraightDopeConfig

METRICS = ["gaussian-error", "mean-cov", "two-sample"]
DATA = {"name": "gaussian-2d", "A": [[1.0, 2.0], [-0.1, 0.5]], "b": [1.0, 2.0], "size": 1000}

TUTORIAL = {
    "data": DATA,
    "noise": {"name": "normal", "dim": 2},
    "generator": {
        "name": "mlp",
        "hidden": [],
        "init_std": 0.02,  # one Dense(2): a linear map 2 → 2
        "optimizer": {"name": "adam", "lr": 0.01, "betas": [0.9, 0.999]},
    },
    "discriminator": {
        "name": "mlp",
        "hidden": [5, 3],
        "activation": "tanh",
        "outputs": 2,
        "init_std": 0.02,
        "optimizer": {"name": "adam", "lr": 0.05, "betas": [0.9, 0.999]},
    },
    # Gluon sums each term over the batch and steps with batch_size, i.e. the batch means, added.
    "loss": {"name": "softmax-cross-entropy", "d_terms": "sum"},
    "strategy": {"name": "straight-dope", "reuse_fake": True},
    # 1,000 points / 4 = 250 rounds an epoch; 10 epochs. D's accuracy per epoch, as the article prints.
    "train": {"steps": 2500, "batch_size": 4, "log_every": 50, "epoch_logs": True, "threads": 1},
    "evaluation": {"metrics": METRICS, "samples": 100_000},
}

# Ours, on the same 1,000 points and the same linear generator. Half the data set per batch, so D
# compares two large samples and its verdict is about the distribution rather than a few points.
# D is a smooth (ELU) network learning eight times faster than G (two time-scale updates), Adam
# without momentum, and both learning rates fall linearly to zero, which freezes G at the
# equilibrium instead of leaving it circling it. The minimax loss: the usual non-saturating one is
# mode-seeking and left the spread a few per cent too narrow.
DEFAULT = {
    "data": DATA,
    "noise": {"name": "normal", "dim": 2},
    "generator": {
        "name": "mlp",
        "hidden": [],
        "optimizer": {"name": "adam", "lr": 0.005, "betas": [0.0, 0.9]},
    },
    "discriminator": {
        "name": "mlp",
        "hidden": [32, 32],
        "activation": "elu",
        "optimizer": {"name": "adam", "lr": 0.04, "betas": [0.0, 0.9]},
    },
    "loss": {"name": "minimax"},
    "strategy": {"name": "straight-dope", "reuse_fake": False},
    "train": {"steps": 2000, "batch_size": 500, "lr_decay": "linear", "log_every": 100, "threads": 1},
    "evaluation": {"metrics": METRICS, "samples": 100_000},
}


def _load(module: str):
    """One of this package's implementation modules, imported when a component is built, not when listed."""
    return importlib.import_module(f".{module}", __name__)


@ganframe.hookimpl
def register_data_sources(register):
    register(
        "gaussian-2d",
        lambda c, ctx: _load("data").make_points(c, ctx),
        config=AffineGaussianConfig,
        description="a fixed set of points of X = N(0, I)·A + b (default 1,000 in 2-D)",
    )


@ganframe.hookimpl
def register_metrics(register):
    register(
        "gaussian-error",
        lambda c, ctx: _load("metrics").gaussian_error,
        description="relative errors of the mean and covariance, and of the sample estimator on the data",
    )
    register(
        "mean-cov",
        lambda c, ctx: _load("metrics").mean_cov,
        description="mean and covariance of the samples, entry by entry",
    )


@ganframe.hookimpl
def register_losses(register):
    register(
        "softmax-cross-entropy",
        lambda c, ctx: _load("training").SoftmaxCrossEntropyLoss(c.d_terms),
        config=SoftmaxCrossEntropyConfig,
        description="two logits per sample, cross-entropy with label 1 real and 0 fake (MXNet notebook)",
    )


@ganframe.hookimpl
def register_strategies(register):
    register(
        "straight-dope",
        lambda c, ctx: _load("training").StraightDope(c),
        config=StraightDopeConfig,
        description="one D then one G update on the same fake batch, logging D's accuracy (MXNet notebook)",
    )


@ganframe.hookimpl
def register_setups(register):
    register(
        "gaussian2d",
        {"default": DEFAULT, "tutorial": TUTORIAL},
        description="learn N(b, AᵀA) in 2-D from 1,000 points (MXNet 'The Straight Dope', GAN intro)",
    )


#: Names of the implementation modules, importable from here as before (imported on first use).
_ELSEWHERE = {
    "DATA_SET_STREAM": "data",
    "AffineGaussianPoints": "data",
    "make_points": "data",
    "true_moments": "metrics",
    "sample_moments": "metrics",
    "relative_error": "metrics",
    "gaussian_error": "metrics",
    "mean_cov": "metrics",
    "SoftmaxCrossEntropyLoss": "training",
    "says_real": "training",
    "StraightDope": "training",
}


def __getattr__(name: str):
    if name in _ELSEWHERE:
        return getattr(_load(_ELSEWHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
