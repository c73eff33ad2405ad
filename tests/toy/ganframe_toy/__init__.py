"""ganframe's own test plugin ``toy``: small data sources, a strategy that logs D's accuracy, and two
setups, so that the core's tests need no bundled plugin.

It is not installed: the tests put ``tests/toy`` on ``sys.path`` (and on ``PYTHONPATH`` for the
commands they start), where ``ganframe_toy-0.dist-info`` declares its entry point ``toy``.

Components:

* data source ``toy-1d``: N(mean, std²) in 1-D, default N(4, 1.25²); it samples exactly as the
  gaussian plugin's ``gaussian-1d`` does (``randn * std + mean``) and has the normal distribution as
  its ``reference_distribution``.
* data source ``toy-2d``: a fixed set of ``size`` points X = Z·A + b, Z ~ N(0, I), drawn once from the
  seed (a finite data set, so runs have epochs).
* data source ``toy-counts``: uniform integers in [0, max_int); the model works on one float per
  example, read back as the nearest integer in range (discrete data).
* network extra ``toy-scale``: multiplies a network's output by ``factor``.
* strategy ``toy-judged``: one D update then one G update per round, also logging ``d_accuracy``,
  the share of the real and fake batch that D classifies correctly just before its update.
* setup ``toy`` (learn N(4, 1.25²) in 1-D) with presets ``default``, ``tutorial`` and
  ``tutorial-moments``; setup ``toy2d`` (learn the points of ``toy-2d``) with ``default`` and
  ``tutorial``.

As in the bundled plugins, registering imports no PyTorch: the components are in
:mod:`.components`, imported when one is built.
"""

from __future__ import annotations

import importlib

import attrs

import ganframe
from ganframe.config import MAX_SAMPLES, at_most, positive

METRICS = ["moments", "wasserstein", "ks", "two-sample"]


@attrs.frozen(kw_only=True)
class Toy1DConfig:
    mean: float = 4.0
    std: float = attrs.field(default=1.25, validator=positive)


def _matrix(instance: object, attribute: attrs.Attribute, value: tuple[tuple[float, ...], ...]) -> None:
    if len(value) != 2 or any(len(row) != 2 for row in value):
        raise ValueError(f"'{attribute.name}' must be a 2 x 2 matrix, got {value!r}")


def _tuples(value) -> tuple:
    return tuple(_tuples(item) if isinstance(item, list | tuple) else float(item) for item in value)


@attrs.frozen(kw_only=True)
class Toy2DConfig:
    A: tuple[tuple[float, float], tuple[float, float]] = attrs.field(
        default=((1.0, 2.0), (-0.1, 0.5)), converter=_tuples, validator=_matrix
    )
    b: tuple[float, float] = attrs.field(default=(1.0, 2.0), converter=_tuples)
    size: int = attrs.field(default=1000, validator=[positive, at_most(MAX_SAMPLES)])


@attrs.frozen(kw_only=True)
class ToyCountsConfig:
    max_int: int = attrs.field(default=8, validator=positive)  # exclusive upper bound


@attrs.frozen(kw_only=True)
class ToyJudgedConfig:
    pass


@attrs.frozen(kw_only=True)
class ToyScaleConfig:
    factor: float = 2.0


# -- presets ------------------------------------------------------------------------------------------
DEFAULT = {
    "data": {"name": "toy-1d", "mean": 4.0, "std": 1.25},
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

TUTORIAL = {
    "data": {"name": "toy-1d", "mean": 4.0, "std": 1.25},
    "noise": {"name": "uniform", "dim": 1},
    "generator": {
        "name": "mlp",
        "hidden": [50, 50],
        "activation": ["elu", "sigmoid"],
        "optimizer": {"name": "adam", "lr": 2e-4, "betas": [0.9, 0.999]},
    },
    "discriminator": {
        "name": "mlp",
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
    "data": {"name": "toy-1d", "mean": 4.0, "std": 1.25},
    "noise": {"name": "uniform", "dim": 1},
    "generator": {
        "name": "mlp",
        "hidden": [5, 5],
        "activation": "tanh",
        "optimizer": {"name": "sgd", "lr": 1e-3, "momentum": 0.9},
    },
    "discriminator": {
        "name": "mlp",
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

DEFAULT_2D = {
    "data": {"name": "toy-2d"},
    "noise": {"name": "normal", "dim": 2},
    "generator": {"name": "mlp", "hidden": [], "optimizer": {"name": "adam", "lr": 0.005, "betas": [0.0, 0.9]}},
    "discriminator": {
        "name": "mlp",
        "hidden": [32, 32],
        "activation": "elu",
        "optimizer": {"name": "adam", "lr": 0.04, "betas": [0.0, 0.9]},
    },
    "loss": {"name": "minimax"},
    "strategy": {"name": "toy-judged"},
    "train": {"steps": 2000, "batch_size": 500, "lr_decay": "linear", "log_every": 100, "threads": 1},
    "evaluation": {"metrics": ["two-sample"], "samples": 10_000},
}

# Batches of 4 from 1,000 points: 250 rounds an epoch; D's accuracy logged per epoch.
TUTORIAL_2D = {
    "data": {"name": "toy-2d"},
    "noise": {"name": "normal", "dim": 2},
    "generator": {
        "name": "mlp",
        "hidden": [],
        "init_std": 0.02,
        "optimizer": {"name": "adam", "lr": 0.01, "betas": [0.9, 0.999]},
    },
    "discriminator": {
        "name": "mlp",
        "hidden": [5, 3],
        "activation": "tanh",
        "init_std": 0.02,
        "optimizer": {"name": "adam", "lr": 0.05, "betas": [0.9, 0.999]},
    },
    "loss": {"name": "non-saturating"},
    "strategy": {"name": "toy-judged"},
    "train": {"steps": 2500, "batch_size": 4, "log_every": 50, "epoch_logs": True, "threads": 1},
    "evaluation": {"metrics": ["two-sample"], "samples": 10_000},
}


def _components():
    return importlib.import_module(".components", __name__)


@ganframe.hookimpl
def register_data_sources(register):
    register(
        "toy-1d",
        lambda c, ctx: _components().Normal1D(c.mean, c.std),
        config=Toy1DConfig,
        description="one-dimensional normal N(mean, std^2) (test plugin)",
    )
    register(
        "toy-2d",
        lambda c, ctx: _components().Points2D(c.A, c.b, c.size, ctx.seed),
        config=Toy2DConfig,
        description="a fixed set of points of X = N(0, I)·A + b in 2-D (test plugin)",
    )
    register(
        "toy-counts",
        lambda c, ctx: _components().Counts(c.max_int),
        config=ToyCountsConfig,
        description="uniform integers in [0, max_int) (test plugin)",
    )


@ganframe.hookimpl
def register_network_extras(register):
    register(
        "toy-scale",
        lambda c, ctx: _components().Scale.wrapper(c.factor),
        config=ToyScaleConfig,
        description="multiplies the network's output by factor (test plugin)",
    )


@ganframe.hookimpl
def register_strategies(register):
    register(
        "toy-judged",
        lambda c, ctx: _components().Judged(),
        config=ToyJudgedConfig,
        description="one D then one G update, logging D's accuracy (test plugin)",
    )


@ganframe.hookimpl
def register_setups(register):
    register(
        "toy",
        {"default": DEFAULT, "tutorial": TUTORIAL, "tutorial-moments": TUTORIAL_MOMENTS},
        description="learn N(4, 1.25) in 1-D (ganframe's test plugin)",
    )
    register(
        "toy2d",
        {"default": DEFAULT_2D, "tutorial": TUTORIAL_2D},
        description="learn 1,000 points of a 2-D normal (ganframe's test plugin)",
    )
