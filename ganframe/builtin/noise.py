"""Latent noise distributions: normal, uniform and random bits."""

from __future__ import annotations

import math

import attrs
import torch

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


@attrs.frozen
class NormalNoise:
    """Standard normal noise N(0, I)."""

    dim: int

    def sample(self, n: int, *, generator: torch.Generator, device: torch.device) -> torch.Tensor:
        return torch.randn(n, self.dim, generator=generator, device=device)  # (n, dim)


@attrs.frozen
class UniformNoise:
    """Uniform noise on [low, high)."""

    dim: int
    low: float
    high: float

    def sample(self, n: int, *, generator: torch.Generator, device: torch.device) -> torch.Tensor:
        u = torch.rand(n, self.dim, generator=generator, device=device)  # (n, dim)
        return u * (self.high - self.low) + self.low


@attrs.frozen
class BitsNoise:
    """Independent fair bits, as floats 0.0 and 1.0."""

    dim: int

    def sample(self, n: int, *, generator: torch.Generator, device: torch.device) -> torch.Tensor:
        return torch.randint(0, 2, (n, self.dim), generator=generator, device=device).float()


@hookimpl
def register_noise(register):
    register("normal", lambda c, ctx: NormalNoise(c.dim), config=NormalNoiseConfig,
             description="standard normal noise N(0, I)")
    register("uniform", lambda c, ctx: UniformNoise(c.dim, c.low, c.high), config=UniformNoiseConfig,
             description="uniform noise on [low, high)")
    register("bits", lambda c, ctx: BitsNoise(c.dim), config=BitsNoiseConfig,
             description="random bits (0.0 or 1.0)")
