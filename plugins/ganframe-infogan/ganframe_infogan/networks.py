"""Networks of the InfoGAN plugin.

* ``infogan-q`` (role ``q``, ``[networks.q]``): InfoGAN's recognition network Q. It gives the
  logits of the categorical code and the mean (and, with ``learn_std``, the log standard
  deviation) of a factored Gaussian over the continuous codes. Two ways to read a sample:

  - ``reads = "samples"``: Q is a network of its own, with a body shaped like D's: two
    convolutions for images, a hidden layer for vectors, then the paper's Q head (FC ``hidden``,
    batch norm, leaky ReLU, FC output).
  - ``reads = "discriminator"``: the paper's design. Q is only that head, on D's features (what
    D's last linear layer reads, ``features`` numbers); the ``infogan`` strategy then also trains
    D's body on the information loss, as the paper's shared body is. The strategy checks
    ``features`` against D when the experiment is built.
* ``infogan-paper`` generator and discriminator: Table 1 of Chen et al. (2016), Appendix C.1, for
  the ``tutorial`` preset (``mnist-conv`` has neither the 1024-unit layers nor D's batch norm).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ganframe import ConfigError
from ganframe.config import check_parameters

from .configs import PaperDiscriminatorConfig, PaperGeneratorConfig, QConfig
from .noise import InfoGanNoise


def _conv_body(channels: int, width: int, slope: float) -> nn.Sequential:
    """(B, channels, H, W) → two 4x4 stride-2 convolutions → (B, width, H/4, W/4), flattened."""
    return nn.Sequential(
        nn.Conv2d(channels, width // 2 or 1, 4, stride=2, padding=1),
        nn.LeakyReLU(slope),  # (B, w/2, H/2, W/2)
        nn.Conv2d(width // 2 or 1, width, 4, stride=2, padding=1),
        nn.BatchNorm2d(width),
        nn.LeakyReLU(slope),
        nn.Flatten(),  # (B, w · H/4 · W/4)
    )


class QNetwork(nn.Module):
    """Sample → (category logits (B, categories), continuous means (B, continuous), log-stds (B, continuous))."""

    def __init__(self, config: QConfig, sample_shape: tuple[int, ...], noise: InfoGanNoise) -> None:
        super().__init__()
        self.categories, self.continuous, self.learn_std = noise.categories, noise.continuous, config.learn_std
        outputs = noise.categories + noise.continuous * (2 if config.learn_std else 1)
        slope = config.negative_slope
        self.reads = config.reads
        if config.reads == "discriminator":  # D's features (B, features): only the head
            self.body: nn.Module = nn.Identity()
            features = config.features
            check_parameters([features, config.hidden, outputs], "q")
        elif len(sample_shape) == 3:  # images (C, H, W)
            channels, height, width = sample_shape
            if height < 4 or width < 4:
                raise ValueError(f"infogan-q's convolutions need images of at least 4x4, not {height}x{width}")
            self.body = _conv_body(channels, config.width, slope)
            features = config.width * (height // 4) * (width // 4)
            check_parameters([features, config.hidden, outputs], "q")
        else:  # vectors: an MLP on the flattened sample
            features = math.prod(sample_shape)
            check_parameters([features, config.hidden, config.hidden, outputs], "q")
            self.body = nn.Sequential(nn.Flatten(), nn.Linear(features, config.hidden), nn.LeakyReLU(slope))
            features = config.hidden
        self.head = nn.Sequential(
            nn.Linear(features, config.hidden),
            nn.BatchNorm1d(config.hidden),
            nn.LeakyReLU(slope),
            nn.Linear(config.hidden, outputs),
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x: a batch of samples (B, *sample_shape), or of D's features (B, features) with reads = "discriminator"."""
        out = self.head(self.body(x))  # (B, categories + continuous [+ continuous])
        k, c = self.categories, self.continuous
        logits, mean = out[:, :k], out[:, k : k + c]  # (B, k), (B, c)
        log_std = out[:, k + c :] if self.learn_std else torch.zeros_like(mean)  # (B, c)
        return logits, mean, log_std


def make_q(config: QConfig, context) -> QNetwork:
    """InfoGAN's Q for the experiment's ``infogan`` noise."""
    if not isinstance(context.noise, InfoGanNoise):
        raise ConfigError(
            f"network 'infogan-q' reads the codes of the 'infogan' noise; this experiment's noise is "
            f'{type(context.noise).__name__}: set [noise] name = "infogan"'
        )
    return QNetwork(config, tuple(context.sample_shape), context.noise)


def _check_mnist_shape(sample_shape: tuple[int, ...], what: str) -> None:
    if tuple(sample_shape) != (1, 28, 28):
        raise ValueError(f"the infogan-paper {what} works on (1, 28, 28) images, not {tuple(sample_shape)}")


class PaperGenerator(nn.Module):
    """FC 1024 BN ReLU → FC 7·7·128 BN ReLU → 4x4 upconv 64 stride 2 BN ReLU → 4x4 upconv 1 stride 2 → tanh.

    The authors' code ends in a sigmoid (MNIST in [0, 1] as Bernoulli means); ganframe's MNIST is in
    [-1, 1], hence tanh.
    """

    def __init__(self, config: PaperGeneratorConfig, noise_dim: int, sample_shape: tuple[int, ...]) -> None:
        super().__init__()
        _check_mnist_shape(sample_shape, "generator")
        w = self.width = config.width
        check_parameters([noise_dim, config.hidden, w * 7 * 7], "generator")
        self.project = nn.Sequential(
            nn.Linear(noise_dim, config.hidden),
            nn.BatchNorm1d(config.hidden),
            nn.ReLU(),
            nn.Linear(config.hidden, w * 7 * 7),
            nn.BatchNorm1d(w * 7 * 7),
            nn.ReLU(),
        )
        self.net = nn.Sequential(
            nn.ConvTranspose2d(w, w // 2 or 1, 4, stride=2, padding=1),
            nn.BatchNorm2d(w // 2 or 1),
            nn.ReLU(),
            nn.ConvTranspose2d(w // 2 or 1, 1, 4, stride=2, padding=1),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.project(z).view(z.shape[0], self.width, 7, 7)  # (B, 128, 7, 7)
        return self.net(x)  # (B, 1, 28, 28)


class PaperDiscriminator(nn.Module):
    """4x4 conv 64 stride 2 lReLU → 4x4 conv 128 stride 2 BN lReLU → FC 1024 BN lReLU → FC 1 (a logit)."""

    output = "logits"

    def __init__(self, config: PaperDiscriminatorConfig, sample_shape: tuple[int, ...]) -> None:
        super().__init__()
        _check_mnist_shape(sample_shape, "discriminator")
        w, slope = config.width, config.negative_slope
        check_parameters([w * 7 * 7, config.hidden, 1], "discriminator")
        self.net = nn.Sequential(
            _conv_body(1, w, slope),  # (B, w · 7 · 7)
            nn.Linear(w * 7 * 7, config.hidden),
            nn.BatchNorm1d(config.hidden),
            nn.LeakyReLU(slope),
            nn.Linear(config.hidden, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)  # (B, 1)
