"""The ``even-numbers`` data source: uniform even integers in [0, max_int) as bit vectors."""

from __future__ import annotations

import torch

import ganframe


class EvenNumbers(ganframe.Distribution):
    """Uniform even integers in [0, max_int) as bit vectors (float 0.0/1.0), most significant bit first."""

    discrete = True

    def __init__(self, max_int: int) -> None:
        self.max_int = max_int
        self.bits = max_int.bit_length() - 1  # log2(max_int)
        self.sample_shape = (self.bits,)
        self._shifts = torch.arange(self.bits - 1, -1, -1)  # (bits,): MSB first

    @property
    def values(self) -> int:
        """How many even values there are: max_int / 2."""
        return self.max_int // 2

    def encode(self, integers: torch.Tensor) -> torch.Tensor:
        """(n,) int64 → (n, bits) float bits, most significant first."""
        shifts = self._shifts.to(integers.device)
        return ((integers.unsqueeze(1) >> shifts) & 1).float()

    def sample(self, n: int, *, generator: torch.Generator, device: torch.device) -> torch.Tensor:
        halves = torch.randint(0, self.values, (n,), generator=generator, device=device)  # (n,)
        return self.encode(halves * 2)  # (n, bits)

    def to_data_space(self, x: torch.Tensor) -> torch.Tensor:
        """(n, bits) → (n, 1) int64: each bit is 1 where the output is ≥ 0.5, as the article reads it."""
        shifts = self._shifts.to(x.device)
        bits = (x >= 0.5).long()  # (n, bits)
        return (bits << shifts).sum(dim=1, keepdim=True)  # (n, 1)
