"""The networks of the PacGAN paper's mixture experiments (Lin et al. 2018, appendix, after VEEGAN's):

* generator ``bn-mlp``: noise → ``hidden`` fully connected layers (400 units × 4), each followed by
  batch normalisation and ReLU → a linear output of one number per data feature;
* discriminator ``maxout-mlp``: example → ``hidden`` LinearMaxout layers (200 units × 3, 5 pieces
  each: a linear map to ``units · pieces`` numbers and the maximum over each unit's pieces,
  Goodfellow et al. 2013) → one logit.

Both work for examples of any shape (flattened), so packing (``pack``) and the ``minibatch-std``
extra apply to the discriminator like to any other.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

from ganframe.config import check_parameters
from ganframe.nn import init_normal_, numel

from .configs import BatchNormMLPConfig, MaxoutMLPConfig


class BatchNormMLP(nn.Module):
    """``(B, noise_dim)`` → (Linear → BatchNorm1d → ReLU) × len(hidden) → Linear → ``(B, *sample_shape)``."""

    def __init__(self, config: BatchNormMLPConfig, noise_dim: int, sample_shape: tuple[int, ...]) -> None:
        super().__init__()
        self.sample_shape = tuple(sample_shape)
        sizes = [noise_dim, *config.hidden]
        check_parameters([*sizes, numel(sample_shape)], "generator", extra=2 * sum(config.hidden))
        layers: list[nn.Module] = []
        for n_in, n_out in itertools.pairwise(sizes):
            layers += [nn.Linear(n_in, n_out), nn.BatchNorm1d(n_out), nn.ReLU()]
        layers.append(nn.Linear(sizes[-1], numel(sample_shape)))
        self.net = nn.Sequential(*layers)
        if config.init_std is not None:
            init_normal_(self, config.init_std)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(z.shape[0], *self.sample_shape)  # (B, *sample_shape)


class LinearMaxout(nn.Module):
    """``(B, in_features)`` → ``(B, units)``: the largest of ``pieces`` linear functions per unit."""

    def __init__(self, in_features: int, units: int, pieces: int) -> None:
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(in_features, units * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).view(x.shape[0], self.units, self.pieces).amax(dim=2)  # (B, units)


class MaxoutMLP(nn.Module):
    """``(B, *sample_shape)`` → LinearMaxout × len(hidden) → Linear → ``(B, 1)`` logits."""

    output = "logits"

    def __init__(self, config: MaxoutMLPConfig, sample_shape: tuple[int, ...]) -> None:
        super().__init__()
        sizes = [numel(sample_shape), *config.hidden]
        widths = [numel(sample_shape), *(units * config.pieces for units in config.hidden)]
        check_parameters([*widths, 1], "discriminator")
        layers: list[nn.Module] = [
            LinearMaxout(n_in, n_out, config.pieces) for n_in, n_out in itertools.pairwise(sizes)
        ]
        layers.append(nn.Linear(sizes[-1], 1))
        self.net = nn.Sequential(*layers)
        if config.init_std is not None:
            init_normal_(self, config.init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1))  # (B, 1)


def make_bn_mlp(config: BatchNormMLPConfig, context) -> BatchNormMLP:
    return BatchNormMLP(config, context.noise_dim, context.sample_shape)


def make_maxout_mlp(config: MaxoutMLPConfig, context) -> MaxoutMLP:
    return MaxoutMLP(config, context.sample_shape)
