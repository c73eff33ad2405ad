"""Latent noise distributions: normal, uniform and random bits.

Registration and options only; the distributions are in :mod:`ganframe.builtin.noise_distributions`,
imported when one is built, so that ``ganframe list`` does not import PyTorch.
"""

from __future__ import annotations

import math

import attrs

from ganframe.config import MAX_WIDTH, count_up_to
from ganframe.hookimpl import hookimpl


@attrs.frozen(kw_only=True)
class NormalNoiseConfig:
    dim: int = attrs.field(default=16, validator=count_up_to(MAX_WIDTH))  # numbers per noise vector


@attrs.frozen(kw_only=True)
class UniformNoiseConfig:
    dim: int = attrs.field(default=16, validator=count_up_to(MAX_WIDTH))  # numbers per noise vector
    low: float = 0.0  # the interval [low, high) each number is drawn from: finite, with low < high
    high: float = 1.0

    def __attrs_post_init__(self) -> None:
        for name in ("low", "high"):
            value = getattr(self, name)
            if isinstance(value, float) and not math.isfinite(value):  # built in Python, not structured
                raise ValueError(f"'{name}' must be a finite number, got {value!r}")
        if not self.high > self.low:
            raise ValueError(f"'high' ({self.high}) must be greater than 'low' ({self.low})")
        if not math.isfinite(self.high - self.low):  # e.g. -1e308 and 1e308: the width overflows
            raise ValueError(f"'high' - 'low' must be a finite number, got {self.high} - {self.low}")


@attrs.frozen(kw_only=True)
class BitsNoiseConfig:
    dim: int = attrs.field(default=8, validator=count_up_to(MAX_WIDTH))  # bits per noise vector


def _distributions():
    from . import noise_distributions  # imported when a noise is built, not when it is listed

    return noise_distributions


@hookimpl
def register_noise(register):
    register(
        "normal",
        lambda c, ctx: _distributions().NormalNoise(c.dim),
        config=NormalNoiseConfig,
        description="standard normal noise N(0, I)",
    )
    register(
        "uniform",
        lambda c, ctx: _distributions().UniformNoise(c.dim, c.low, c.high),
        config=UniformNoiseConfig,
        description="uniform noise on [low, high)",
    )
    register(
        "bits",
        lambda c, ctx: _distributions().BitsNoise(c.dim),
        config=BitsNoiseConfig,
        description="random bits (0.0 or 1.0)",
    )


def __getattr__(name: str):  # the distributions, importable from here as before
    if name in ("NormalNoise", "UniformNoise", "BitsNoise"):
        return getattr(_distributions(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
