"""ganframe setup ``even``: generate even integers in [0, max_int), written in binary.

From Nicolas Bertagnolli, "Build a Super Simple GAN in PyTorch".

The data source ``even-numbers`` gives uniform even integers in [0, max_int) as n-bit vectors,
most significant bit first (n = log2(max_int); 7 bits for the default 128). The generator's
outputs are read back as integers by thresholding each bit at 0.5, so ``sample``, the metrics and
``ganframe sample`` see int64 values.

Presets:

* ``tutorial`` — the article's code exactly: random bits into Linear(7, 7) + Sigmoid, a logistic
  regression Linear(7, 1) + Sigmoid as discriminator, BCE, Adam 1e-3, batch 16, 500 steps; each
  step a G update first, then a D update on the same fake batch (detached), D's loss the mean of
  its real and fake terms (this plugin's ``bertagnolli`` strategy). Every sample comes out even,
  but only a handful of distinct values.
* ``default`` — ours: normal noise into a small MLP with a sigmoid output, and an MLP
  discriminator with minibatch discrimination, so that it sees when the generator repeats itself;
  batch 32, 500 steps, learning rates decaying to zero. Produces only even numbers, every one of
  them, close to uniformly.

Metrics (registered here; each needs the ``even-numbers`` data source):

* ``even-fraction`` → ``even_fraction``: share of samples that are even integers in [0, max_int).
* ``even-coverage`` → ``coverage``: how many distinct even values were produced, out of max_int/2.
* ``even-kl`` → ``kl_uniform``: KL(p̂ ‖ U) in nats, where p̂ is the empirical distribution of the
  even samples (odd ones left out) and U is uniform over the max_int/2 even values:
  Σ p̂(v) log(p̂(v) · max_int/2) = log(max_int/2) − H(p̂). Values never produced have p̂(v) = 0
  and add nothing (0 log 0 = 0), so it is always finite: 0 for exactly uniform counts, log(max_int/2)
  (4.16 for 64 values) when one value takes every sample. With N even samples from the true
  uniform distribution it is not 0 but about (max_int/2 − 1) / (2N): 0.003 for 64 values and
  N = 10,000. NaN when no sample is even. This direction, rather than KL(U ‖ p̂), because the
  other one is infinite as soon as one value is missing; ``coverage`` reports missing values.

Layout: this module registers the components and holds their options and the presets; the data
source is in :mod:`.data`, the metrics in :mod:`.metrics` and the strategy in :mod:`.strategy`,
imported when they are built, so that ``ganframe list`` and ``ganframe show`` do not import PyTorch.
"""

from __future__ import annotations

import importlib

import attrs

import ganframe
from ganframe import ConfigError

MAX_BITS = 62  # integers up to 2**62 still fit in int64 with room for arithmetic
METRICS = ["even-fraction", "even-coverage", "even-kl"]


def _power_of_two(instance: object, attribute: attrs.Attribute, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 2 or value & (value - 1):
        raise ValueError(f"'{attribute.name}' must be a power of two (2, 4, ..., 128, ...), got {value!r}")
    if value > 2**MAX_BITS:
        raise ValueError(f"'{attribute.name}' must be at most 2**{MAX_BITS}, got {value!r}")


@attrs.frozen(kw_only=True)
class EvenNumbersConfig:
    max_int: int = attrs.field(default=128, validator=_power_of_two)  # exclusive upper bound


# -- presets ----------------------------------------------------------------------------------------
TUTORIAL = {
    "data": {"name": "even-numbers", "max_int": 128},
    "noise": {"name": "bits", "dim": 7},
    "generator": {
        "name": "mlp",
        "hidden": [],
        "output_activation": "sigmoid",
        "optimizer": {"name": "adam", "lr": 1e-3, "betas": [0.9, 0.999]},
    },
    "discriminator": {
        "name": "mlp",
        "hidden": [],
        "output": "probabilities",
        "optimizer": {"name": "adam", "lr": 1e-3, "betas": [0.9, 0.999]},
    },
    "loss": {"name": "non-saturating", "d_terms": "mean"},
    "strategy": {"name": "bertagnolli"},
    "train": {"steps": 500, "batch_size": 16, "log_every": 10, "threads": 1},
    "evaluation": {"metrics": METRICS, "samples": 10_000},
}

# Ours. A per-sample discriminator cannot see that the generator repeats itself, and the
# tutorial's generator ends up on a handful of values; minibatch discrimination (the network
# extra of the ganframe-extras plugin) lets D compare each sample with the rest of its batch, so over-produced values stand out and G spreads its
# output over every even value. Normal noise of 8 dimensions gives G room to split its input into
# 64 equally likely regions; D learns twice as fast as G; learning rates decay to zero.
DEFAULT = {
    "data": {"name": "even-numbers", "max_int": 128},
    "noise": {"name": "normal", "dim": 8},
    "generator": {
        "name": "mlp",
        "hidden": [32],
        "activation": "leaky-relu",
        "output_activation": "sigmoid",
        "optimizer": {"name": "adam", "lr": 2e-3, "betas": [0.5, 0.999]},
    },
    "discriminator": {
        "name": "mlp",
        "hidden": [64],
        "activation": "leaky-relu",
        "optimizer": {"name": "adam", "lr": 4e-3, "betas": [0.5, 0.999]},
        # "fresh": the last layer drawn anew, as this preset's networks have always been built.
        "extras": [{"name": "minibatch-discrimination", "kernels": 8, "kernel_dims": 5, "last_layer": "fresh"}],
    },
    "loss": {"name": "non-saturating"},
    "strategy": {"name": "alternating", "d_steps": 1, "g_steps": 1, "order": "d-first"},
    "train": {"steps": 500, "batch_size": 32, "lr_decay": "linear", "log_every": 50, "threads": 1},
    "evaluation": {"metrics": METRICS, "samples": 10_000},
}


def _load(module: str):
    """One of this package's implementation modules, imported when a component is built, not when listed."""
    return importlib.import_module(f".{module}", __name__)


def _needs_even_numbers(metric: str, name: str):
    """The factory of the metric ``name``: the function ``metric`` of :mod:`.metrics`, once the data
    source is known to be ``even-numbers``."""

    def factory(config, context):
        if not isinstance(context.data, _load("data").EvenNumbers):
            raise ConfigError(
                f"metric {name!r} needs the 'even-numbers' data source, not {type(context.data).__name__}"
            )
        return getattr(_load("metrics"), metric)

    return factory


# -- registration -----------------------------------------------------------------------------------
@ganframe.hookimpl
def register_data_sources(register):
    register(
        "even-numbers",
        lambda c, ctx: _load("data").EvenNumbers(c.max_int),
        config=EvenNumbersConfig,
        description="uniform even integers in [0, max_int) as bits, most significant first",
    )


@ganframe.hookimpl
def register_metrics(register):
    register(
        "even-fraction",
        _needs_even_numbers("even_fraction", "even-fraction"),
        description="share of samples that are even integers in [0, max_int) (even-numbers)",
    )
    register(
        "even-coverage",
        _needs_even_numbers("even_coverage", "even-coverage"),
        description="distinct even values produced, out of max_int/2 (even-numbers)",
    )
    register(
        "even-kl",
        _needs_even_numbers("even_kl", "even-kl"),
        description="KL divergence of the even samples from uniform over the even values, nats",
    )


@ganframe.hookimpl
def register_strategies(register):
    register(
        "bertagnolli",
        lambda c, ctx: _load("strategy").Bertagnolli(),
        description="one G update, then one D update on the same fake batch (Bertagnolli's loop)",
    )


@ganframe.hookimpl
def register_setups(register):
    register(
        "even",
        {"default": DEFAULT, "tutorial": TUTORIAL},
        description="generate even integers in [0, 128) as 7 bits (Bertagnolli, 'Super Simple GAN')",
    )


#: Names of the implementation modules, importable from here as before (imported on first use).
_ELSEWHERE = {
    "EvenNumbers": "data",
    "even_fraction": "metrics",
    "even_coverage": "metrics",
    "even_kl": "metrics",
    "Bertagnolli": "strategy",
}


def __getattr__(name: str):
    if name in _ELSEWHERE:
        return getattr(_load(_ELSEWHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
