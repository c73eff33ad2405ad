"""ganframe setup ``gaussian``: learn a one-dimensional Gaussian N(mean, std²).

From Dev Nag, "Generative Adversarial Networks (GANs) in 50 lines of code (PyTorch)", 2017.

Presets:

* ``tutorial`` — the article's code exactly: uniform noise into an ELU/Sigmoid generator 1-50-50-1;
  a discriminator that judges a whole batch of 100 as one vector of "data and squared deviations"
  (this plugin's ``batch-mlp`` discriminator);
  Adam 2e-4, betas (0.9, 0.999); one D step then one G step; 30,000 rounds.
* ``tutorial-moments`` — the repository's later "more stable" version: D sees the batch's four
  moments, batch 500, SGD with momentum, 20 D then 20 G steps per round, 5,000 rounds.
* ``default`` — ours: normal noise, per-sample networks, a batch of 1,024, a discriminator learning
  four times faster than the generator and learning rates decaying linearly to zero; learns the
  target to a 1-Wasserstein distance under 0.05 in seconds on a CPU.

Layout: this module registers the components and holds the presets, :mod:`.configs` their options;
the data source is in :mod:`.data` and the discriminator in :mod:`.networks`, imported when they are
built, so that ``ganframe list`` and ``ganframe show`` do not import PyTorch or SciPy.
"""

from __future__ import annotations

import importlib

import ganframe

from .configs import BATCH_FEATURE_NAMES, BatchMLPConfig, Gaussian1DConfig  # noqa: F401 (BATCH_FEATURE_NAMES: public)

METRICS = ["moments", "wasserstein", "ks", "two-sample"]


# -- presets --------------------------------------------------------------------------------------------
TUTORIAL = {
    "data": {"name": "gaussian-1d", "mean": 4.0, "std": 1.25},
    "noise": {"name": "uniform", "dim": 1},
    "generator": {
        "name": "mlp",
        "hidden": [50, 50],
        "activation": ["elu", "sigmoid"],
        "optimizer": {"name": "adam", "lr": 2e-4, "betas": [0.9, 0.999]},
    },
    "discriminator": {
        "name": "batch-mlp",
        "features": "squared-deviations",
        "hidden": [50, 50],
        "activation": "elu",
        "output": "probabilities",
        "optimizer": {"name": "adam", "lr": 2e-4, "betas": [0.9, 0.999]},
    },
    "loss": {"name": "non-saturating", "d_terms": "sum"},
    "strategy": {"name": "alternating", "d_steps": 1, "g_steps": 1, "order": "d-first"},
    "train": {"steps": 30_000, "batch_size": 100, "log_every": 500, "threads": 1},
    "evaluation": {"metrics": METRICS, "samples": 10_000},
}

TUTORIAL_MOMENTS = {
    "data": {"name": "gaussian-1d", "mean": 4.0, "std": 1.25},
    "noise": {"name": "uniform", "dim": 1},
    "generator": {
        "name": "mlp",
        "hidden": [5, 5],
        "activation": "tanh",
        "optimizer": {"name": "sgd", "lr": 1e-3, "momentum": 0.9},
    },
    "discriminator": {
        "name": "batch-mlp",
        "features": "moments",
        "hidden": [10, 10],
        "activation": "sigmoid",
        "output": "probabilities",
        "optimizer": {"name": "sgd", "lr": 1e-3, "momentum": 0.9},
    },
    "loss": {"name": "non-saturating", "d_terms": "sum"},
    "strategy": {"name": "alternating", "d_steps": 20, "g_steps": 20, "order": "d-first"},
    "train": {"steps": 5_000, "batch_size": 500, "log_every": 100, "threads": 1},
    "evaluation": {"metrics": METRICS, "samples": 10_000},
}

# Ours. The target is smooth, so G uses ELU; D learns four times faster than G (two time-scale
# updates) and both learning rates fall linearly to zero, which freezes the generator at the
# equilibrium instead of leaving it circling it. Adam without momentum (beta1 = 0) and a large
# batch keep the discriminator's signal steady. Seeds 0-7 all land within W1 0.035 of the target.
DEFAULT = {
    "data": {"name": "gaussian-1d", "mean": 4.0, "std": 1.25},
    "noise": {"name": "normal", "dim": 1},
    "generator": {
        "name": "mlp",
        "hidden": [16, 16],
        "activation": "elu",
        "optimizer": {"name": "adam", "lr": 5e-4, "betas": [0.0, 0.9]},
    },
    "discriminator": {
        "name": "mlp",
        "hidden": [32, 32],
        "activation": "leaky-relu",
        "optimizer": {"name": "adam", "lr": 2e-3, "betas": [0.0, 0.9]},
    },
    "loss": {"name": "non-saturating"},
    "strategy": {"name": "alternating", "d_steps": 1, "g_steps": 1, "order": "d-first"},
    "train": {"steps": 5_000, "batch_size": 1024, "lr_decay": "linear", "log_every": 100, "threads": 1},
    "evaluation": {"metrics": METRICS, "samples": 10_000},
}


def _load(module: str):
    """One of this package's implementation modules, imported when a component is built, not when listed."""
    return importlib.import_module(f".{module}", __name__)


@ganframe.hookimpl
def register_data_sources(register):
    register(
        "gaussian-1d",
        lambda c, ctx: _load("data").Gaussian1D(c.mean, c.std),
        config=Gaussian1DConfig,
        description="one-dimensional Gaussian N(mean, std^2)",
    )


@ganframe.hookimpl
def register_discriminators(register):
    register(
        "batch-mlp",
        lambda c, ctx: _load("networks").BatchMLP(c, ctx.sample_shape, ctx.batch_size),
        config=BatchMLPConfig,
        description="judges a whole batch as one example: its squared deviations or its moments (Nag)",
    )


@ganframe.hookimpl
def register_setups(register):
    register(
        "gaussian",
        {"default": DEFAULT, "tutorial": TUTORIAL, "tutorial-moments": TUTORIAL_MOMENTS},
        description="learn N(4, 1.25) in 1-D (Nag, 'GANs in 50 lines of code')",
    )


#: Names of the implementation modules, importable from here as before (imported on first use).
_ELSEWHERE = {
    "Gaussian1D": "data",
    "BatchSquaredDeviations": "networks",
    "BatchMoments": "networks",
    "BATCH_FEATURES": "networks",
    "BatchMLP": "networks",
}


def __getattr__(name: str):
    if name in _ELSEWHERE:
        return getattr(_load(_ELSEWHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
