"""What ALI's discriminator judges, a pair (x, z), and the ``pair-mlp`` network that judges it.

ALI and BiGAN do not ask D whether a sample is real, but whether a *pair* of a sample and a latent
came from the encoder, (x, E(x)) with x real, or from the generator, (G(z), z) with z drawn from
the noise. Only a D that sees both halves can tell the joint distributions apart, and it is that
pressure which makes E invert G. A pair is one flat row: the example's numbers, then the latent's.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ganframe.config import check_parameters
from ganframe.nn import init_normal_, mlp

from .configs import PairMLPConfig


def pair(x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """``(B, numel(sample_shape) + noise_dim)``: each example ``x`` (B, *sample_shape), flattened,
    followed by its latent ``z`` (B, noise_dim)."""
    return torch.cat([x.flatten(1), z], dim=1)  # (B, D + K)


class PairMLP(nn.Module):
    """Scores pairs ``(B, D + K)`` with an MLP: ``(B, 1)`` logits (or probabilities).

    ``D`` is the number of values in one example, ``K`` the noise size. Given a batch of examples
    alone, ``(B, *sample_shape)``, it scores each as the pair (x, 0): ganframe runs every
    discriminator once on G's output when it builds an experiment, and that check must pass.
    ALI itself only ever gives it pairs.
    """

    def __init__(self, config: PairMLPConfig, sample_shape: tuple[int, ...], noise_dim: int) -> None:
        super().__init__()
        self.output = config.output  # tells the loss what the scores are
        self.data_features, self.noise_dim = math.prod(sample_shape), noise_dim
        sizes = [self.data_features + noise_dim, *config.hidden, 1]
        check_parameters(sizes, "discriminator")
        layers = list(mlp(sizes, hidden_activation=config.activation, negative_slope=config.negative_slope))
        if config.dropout:  # mlp gives [Linear, act] * hidden + [Linear]: dropout after each act
            layers = [
                part
                for index, layer in enumerate(layers)
                for part in ([layer, nn.Dropout(config.dropout)] if index % 2 else [layer])
            ]
        if config.output == "probabilities":
            layers.append(nn.Sigmoid())
        self.net = nn.Sequential(*layers)
        if config.init_std is not None:
            init_normal_(self, config.init_std)

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        flat = pairs.flatten(1)  # (B, D + K), or (B, D) for examples alone
        if flat.shape[1] == self.data_features:  # examples without latents: ganframe's build-time check
            flat = torch.cat([flat, flat.new_zeros(flat.shape[0], self.noise_dim)], dim=1)  # (B, D + K)
        return self.net(flat)  # (B, 1)


def make_pair_mlp(config: PairMLPConfig, context) -> PairMLP:
    """An MLP discriminator on (x, z) pairs, for the ``ali`` strategy."""
    return PairMLP(config, context.sample_shape, context.noise_dim)
