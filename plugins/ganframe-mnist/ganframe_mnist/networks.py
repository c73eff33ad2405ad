"""The ``mnist-mlp`` generator: a fully connected generator with batch normalisation.

The core's ``mlp`` has no normalisation layers. Batch normalisation after each hidden layer (but
the first, as in the "PyTorch-GAN" MLP generator of E. Linder-Norén) keeps the hidden activations
of the generator on a common scale, which is what lets a plain MLP GAN spread over all ten digits
instead of collapsing onto one.

Also the ``mnist-conv`` generator and discriminator and the ``mnist-mlp`` discriminator. Their options
are in :mod:`.configs`.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

from ganframe.config import check_parameters
from ganframe.nn import activation, numel

from .configs import BatchNormMLPConfig, ConvDiscriminatorConfig, ConvGeneratorConfig, MLPDiscriminatorConfig


class BatchNormMLP(nn.Module):
    """Noise → Linear → LeakyReLU → (Linear → BatchNorm → LeakyReLU)… → Linear → output activation."""

    def __init__(self, config: BatchNormMLPConfig, noise_dim: int, sample_shape: tuple[int, ...]):
        super().__init__()
        self.sample_shape = tuple(sample_shape)
        layers: list[nn.Module] = []
        sizes = [noise_dim, *config.hidden]
        check_parameters([*sizes, numel(sample_shape)], "generator")
        for index, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
            layers.append(nn.Linear(n_in, n_out))
            if index > 0:
                layers.append(nn.BatchNorm1d(n_out, momentum=config.momentum))
            layers.append(nn.LeakyReLU(config.negative_slope))
        layers += [nn.Linear(sizes[-1], numel(sample_shape)), activation(config.output_activation)]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(z.shape[0], *self.sample_shape)  # (B, *sample_shape)


class ConvGenerator(nn.Module):
    """DCGAN-style, small: noise → Linear → (width, 7, 7) → ConvTranspose ×2 → (1, 28, 28), Tanh.

    Batch normalisation and ReLU between layers (Radford et al., 2016); 4x4 kernels of stride 2.
    """

    def __init__(self, config: ConvGeneratorConfig, noise_dim: int, sample_shape: tuple[int, ...]):
        super().__init__()
        if tuple(sample_shape) != (1, 28, 28):
            raise ValueError(f"the mnist-conv generator makes (1, 28, 28) images, not {tuple(sample_shape)}")
        w = config.width
        self.width = w
        self.project = nn.Sequential(nn.Linear(noise_dim, w * 7 * 7), nn.BatchNorm1d(w * 7 * 7), nn.ReLU())
        self.net = nn.Sequential(
            nn.ConvTranspose2d(w, w // 2, 4, stride=2, padding=1),
            nn.BatchNorm2d(w // 2),
            nn.ReLU(),  # 14x14
            nn.ConvTranspose2d(w // 2, 1, 4, stride=2, padding=1),
            nn.Tanh(),  # 28x28
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.project(z).view(z.shape[0], self.width, 7, 7)  # (B, w, 7, 7)
        return self.net(x)  # (B, 1, 28, 28)


class ConvDiscriminator(nn.Module):
    """DCGAN-style, small: (1, 28, 28) → Conv ×2 (stride 2, LeakyReLU) → (width, 7, 7) → one logit."""

    output = "logits"

    def __init__(self, config: ConvDiscriminatorConfig, sample_shape: tuple[int, ...]):
        super().__init__()
        if tuple(sample_shape) != (1, 28, 28):
            raise ValueError(f"the mnist-conv discriminator judges (1, 28, 28) images, not {tuple(sample_shape)}")
        w, slope = config.width, config.negative_slope
        self.net = nn.Sequential(
            nn.Conv2d(1, w // 2, 4, stride=2, padding=1),
            nn.LeakyReLU(slope),  # (B, w/2, 14, 14)
            nn.Conv2d(w // 2, w, 4, stride=2, padding=1),
            nn.LeakyReLU(slope),  # (B, w, 7, 7)
            nn.Flatten(),
            nn.Linear(w * 7 * 7, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)  # (B, 1)


class MLPDiscriminator(nn.Module):
    """Images → (Linear → LeakyReLU → Dropout)… → Linear → one logit per image.

    The batch-level features go before ``head`` as network extras: ``discriminator.extras =
    ["minibatch-std"]`` (the default preset), ``[{ name = "minibatch-discrimination", kernels = 8 }]``;
    packing (PacGAN) as ``[{ name = "pack", m = 2 }]``."""

    output = "logits"

    def __init__(self, config: MLPDiscriminatorConfig, sample_shape: tuple[int, ...]):
        super().__init__()
        layers: list[nn.Module] = []
        sizes = [numel(sample_shape), *config.hidden]
        check_parameters([*sizes, 1], "discriminator")
        for n_in, n_out in itertools.pairwise(sizes):
            layers += [nn.Linear(n_in, n_out), nn.LeakyReLU(config.negative_slope)]
            if config.dropout:
                layers.append(nn.Dropout(config.dropout))
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(sizes[-1], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x.reshape(len(x), -1)))  # (B, hidden[-1]) → (B, 1)
