"""The built-in ``mlp`` generator, discriminator and network, imported when one is built;
:mod:`ganframe.builtin.networks` registers them with their options."""

from __future__ import annotations

import torch
from torch import nn

from ganframe.config import check_parameters
from ganframe.nn import init_normal_, mlp, numel

from .mlp_options import MLPDiscriminatorConfig, MLPGeneratorConfig, MLPNetworkConfig


def _layers(sizes: list[int], context, extra: int = 0) -> list[int]:
    """``sizes``, once checked not to make a network too large to allocate."""
    role = getattr(context, "role", None)
    where = "network" if role is None else role if role in ("generator", "discriminator") else f"networks.{role}"
    check_parameters(sizes, where, extra)
    return sizes


class MLPGenerator(nn.Module):
    def __init__(self, config: MLPGeneratorConfig, noise_dim: int, sample_shape: tuple[int, ...], context=None):
        super().__init__()
        self.sample_shape = tuple(sample_shape)
        self.net = mlp(
            _layers([noise_dim, *config.hidden, numel(sample_shape)], context),
            hidden_activation=config.activation,
            output_activation=config.output_activation,
            negative_slope=config.negative_slope,
        )
        if config.init_std is not None:
            init_normal_(self, config.init_std)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(z.shape[0], *self.sample_shape)  # (B, *sample_shape)


class MLPDiscriminator(nn.Module):
    def __init__(self, config: MLPDiscriminatorConfig, sample_shape: tuple[int, ...], context=None):
        super().__init__()
        self.output = config.output
        self.net = mlp(
            _layers([numel(sample_shape), *config.hidden, config.outputs], context),
            hidden_activation=config.activation,
            output_activation="sigmoid" if config.output == "probabilities" else "none",
            negative_slope=config.negative_slope,
        )
        if config.init_std is not None:
            init_normal_(self, config.init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1))  # (B, outputs)


class MLPNetwork(nn.Module):
    def __init__(self, config: MLPNetworkConfig, noise_dim: int, sample_shape: tuple[int, ...], context=None):
        super().__init__()
        shapes = {"data": tuple(sample_shape), "noise": (noise_dim,)}
        self.out_shape = shapes.get(config.output, (config.output,))  # type: ignore[arg-type]
        n_in = numel(shapes.get(config.input, (config.input,)))  # type: ignore[arg-type]
        self.net = mlp(
            _layers([n_in, *config.hidden, numel(self.out_shape)], context),
            hidden_activation=config.activation,
            output_activation=config.output_activation,
            negative_slope=config.negative_slope,
        )
        if config.init_std is not None:
            init_normal_(self, config.init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1)).view(x.shape[0], *self.out_shape)  # (B, *out_shape)
