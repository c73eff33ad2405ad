"""Network extra ``pack`` (D): PacGAN, Lin, Khetan, Fanti and Oh, "PacGAN: The power of two samples
in generative adversarial networks" (NeurIPS 2018).

The discriminator judges ``m`` examples at once, all real or all fake, instead of one. A generator
that has dropped modes makes groups that lack the variety of real groups, which a packed
discriminator can see; the paper shows that packing penalises mode collapse and measures it on the
ring and grid mixtures (``ganframe-mixtures``).

Any discriminator works: the network is built for examples ``m`` times as large along their first
axis — ``(m · d,)`` for vectors of ``d`` numbers, ``(m · C, H, W)`` for images of ``C`` channels,
the paper's concatenation — and wrapped so that it takes ordinary batches ``(B, *sample_shape)``,
cut into ``B / m`` groups of ``m`` consecutive examples. Its scores are one per group:
``(B / m, outputs)``, which every loss averages like any batch of scores. The batch size (per
process) must be a multiple of ``m``.
"""

from __future__ import annotations

import torch
from torch import nn

from .configs import PackConfig
from .training import Wrapper


class Packed(Wrapper):
    """``inner`` built for packed examples, taking ordinary batches: ``(B, d, ...) → (B/m, m·d, ...)``."""

    def __init__(self, inner: nn.Module, m: int) -> None:
        super().__init__(inner)
        self.m = m

    def forward(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        batch = x.shape[0]
        if batch % self.m:
            raise ValueError(
                f"a batch of {batch} examples cannot be cut into packs of {self.m} "
                "(discriminator extra 'pack'): use a batch size divisible by m"
            )
        packed = x.reshape(batch // self.m, self.m * x.shape[1], *x.shape[2:])  # (B/m, m·d, ...)
        return self.inner(packed, *args, **kwargs)  # (B/m, outputs)


class Pack:
    """The extra's ``apply``, with ``network_shape``: the discriminator is built for packs."""

    def __init__(self, m: int) -> None:
        self.m = m

    def network_shape(self, sample_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (self.m * sample_shape[0], *sample_shape[1:])

    def __call__(self, network: nn.Module) -> nn.Module:
        return Packed(network, self.m)


def pack(config: PackConfig, context) -> Pack:
    if context.role != "discriminator":
        raise ValueError("packing groups the examples a discriminator judges; use it in discriminator.extras")
    if context.batch_size % config.m:
        raise ValueError(
            f"the batch size per process, {context.batch_size}, is not a multiple of m = {config.m}; "
            "choose a batch size divisible by m"
        )
    return Pack(config.m)
