"""The built-in noise distributions (``normal``, ``uniform``, ``bits``), imported when one is built;
:mod:`ganframe.builtin.noise` registers them with their options."""

from __future__ import annotations

import attrs
import torch


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
