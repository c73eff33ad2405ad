"""The ``dcgan`` generator and discriminator (Radford, Metz and Chintala, ICLR 2016) for square images.

Sizes: a side S = b · 2^k (k ≥ 2, S ≤ 1024) with a base b of 4 — 16, 32, 64, 128, 256, 512,
1024 — or 7 — 28 (MNIST), 56, 112, 224, 448, 896. Any number of channels (1 grey, 3 RGB, or m·C
when the ``pack`` extra packs m images into one for D); other shapes are refused with a list of
the sizes that work.

G projects the noise with one linear layer to ``(C_k, b, b)``, then k transposed convolutions
(4×4, stride 2) double the side; the last one makes the image. D mirrors it: k convolutions (4×4,
stride 2) halve the side down to ``(C_k, b, b)``, then one linear layer gives a logit. A layer at
side S / 2^i has ``C_i = min(width · 2^(i-1), max_width)`` channels, in both networks, e.g. with
``width = 64``::

    image          28 x 28         32 x 32         64 x 64
    S/2  (i=1)     64 at 14x14     64 at 16x16     64 at 32x32
    S/4  (i=2)    128 at 7x7      128 at 8x8      128 at 16x16
    S/8  (i=3)                    256 at 4x4      256 at 8x8
    S/16 (i=4)                                    512 at 4x4

G: batch norm (``norm = "batch"``) and ReLU after every layer but the last, whose output goes
through ``output_activation`` (tanh: data in [-1, 1]). D: LeakyReLU after every convolution, and
``norm``: ``batch`` (after every convolution but the first), ``spectral`` (every layer's weight, the
first and the head too, divided by its largest singular value) or ``none`` (what gradient
penalties such as WGAN-GP want: batch norm makes each score depend on the rest of the batch). D's
last layer is a plain ``nn.Linear`` from its flattened features, so ``minibatch-std``,
``minibatch-discrimination`` and the projection of conditional GANs (``conditional = true``; not
``conditional_input``, which would hand D flat vectors) find it.

Weights are initialised as the paper's: N(0, 0.02²), batch norm scales N(1, 0.02²), biases zero,
drawn from PyTorch's default generator, which the experiment seeds: the same seed, the same networks.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn
from torch.nn.utils import parametrizations

from ganframe import ConfigError
from ganframe.config import MAX_PARAMETERS

from .configs import DCGANDiscriminatorConfig, DCGANGeneratorConfig

BASES = (4, 7)  # the side G's projection starts from and D's convolutions end at
MIN_DOUBLINGS = 2  # 16 and 28 are the smallest sizes: an 8x8 or 14x14 image is too small to be worth it
MAX_SIZE = 1024
SIZES = {base: [base * 2**k for k in range(MIN_DOUBLINGS, 11) if base * 2**k <= MAX_SIZE] for base in BASES}
INIT_STD = 0.02


def _sizes_text() -> str:
    return " or ".join(", ".join(map(str, sizes)) for sizes in SIZES.values())


def image_geometry(sample_shape: tuple[int, ...], who: str) -> tuple[int, int, int]:
    """``(channels, base, doublings)`` of examples ``(C, S, S)`` with S = base · 2^doublings, or a
    ConfigError (a ValueError) that lists the sizes the ``dcgan`` networks make."""
    shape = tuple(sample_shape)
    if len(shape) == 3 and shape[1] == shape[2]:
        for base, sizes in SIZES.items():
            if shape[1] in sizes:
                return shape[0], base, sizes.index(shape[1]) + MIN_DOUBLINGS
    hint = ""
    if len(shape) == 1 and who.endswith("discriminator"):
        hint = " (with conditional = true, leave conditional_input off: the label is projected onto D's features)"
    raise ConfigError(
        f"the {who} takes square images (channels, size, size) of size {_sizes_text()}; "
        f"these examples have shape {shape}{hint}"
    )


def channels(width: int, max_width: int, doublings: int) -> list[int]:
    """Channels at sides S/2, S/4, ..., S/2^doublings = base: width, doubling, at most max_width."""
    return [min(width * 2**i, max_width) for i in range(doublings)]


def _check_parameters(count: int, who: str) -> None:
    """Refuse, before allocating it, a network of over ``MAX_PARAMETERS`` weights and biases."""
    if count > MAX_PARAMETERS:
        raise ConfigError(
            f"the {who} would have {count:,} parameters; a network may have at most "
            f"{MAX_PARAMETERS:,}: choose a smaller width or max_width"
        )


def dcgan_init_(network: nn.Module) -> nn.Module:
    """The paper's initialisation, in place: (transposed) convolution and linear weights from
    N(0, 0.02²), batch norm scales from N(1, 0.02²), every bias zero."""
    for layer in network.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(layer.weight, 0.0, INIT_STD)
        elif isinstance(layer, nn.BatchNorm2d):
            nn.init.normal_(layer.weight, 1.0, INIT_STD)
        else:
            continue
        if layer.bias is not None:
            nn.init.zeros_(layer.bias)
    return network


class DCGANGenerator(nn.Module):
    """Noise (B, noise_dim) → Linear → (C_k, b, b) → k × [BatchNorm, ReLU, ConvTranspose 4×4/2] →
    output activation: images (B, C, S, S)."""

    def __init__(self, config: DCGANGeneratorConfig, noise_dim: int, sample_shape: tuple[int, ...]):
        super().__init__()
        image_channels, self.base, doublings = image_geometry(sample_shape, "dcgan generator")
        widths = channels(config.width, config.max_width, doublings)  # at sides S/2 ... b
        self.top = widths[-1]
        batch_norm = config.norm == "batch"
        bias = not batch_norm  # a bias before batch norm is cancelled by its mean
        area = self.base * self.base
        _check_parameters(
            noise_dim * self.top * area
            + bias * self.top * area
            + 2 * batch_norm * sum(widths)
            + sum(16 * c_in * c_out + bias * c_out for c_in, c_out in zip(widths[:0:-1], widths[-2::-1]))
            + 16 * widths[0] * image_channels
            + image_channels,
            "dcgan generator",
        )

        def norm(c: int) -> nn.Module:
            return nn.BatchNorm2d(c) if batch_norm else nn.Identity()

        self.project = nn.Linear(noise_dim, self.top * area, bias=bias)
        layers: list[nn.Module] = [norm(self.top), nn.ReLU()]  # (B, C_k, b, b)
        for c_in, c_out in zip(widths[:0:-1], widths[-2::-1]):  # C_k → C_(k-1) ... C_2 → C_1
            layers += [
                nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=bias),  # (B, c_out, 2s, 2s)
                norm(c_out),
                nn.ReLU(),
            ]
        layers.append(nn.ConvTranspose2d(widths[0], image_channels, 4, stride=2, padding=1))  # (B, C, S, S)
        if config.output_activation == "tanh":
            layers.append(nn.Tanh())
        elif config.output_activation == "sigmoid":
            layers.append(nn.Sigmoid())
        self.net = nn.Sequential(*layers)
        dcgan_init_(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.project(z).view(z.shape[0], self.top, self.base, self.base)  # (B, C_k, b, b)
        return self.net(x)  # (B, C, S, S)


class DCGANDiscriminator(nn.Module):
    """Images (B, C, S, S) → Conv 4×4/2, LeakyReLU → (k - 1) × [Conv 4×4/2, norm, LeakyReLU] →
    (B, C_k, b, b) → flattened → Linear: one logit per image (B, 1)."""

    output = "logits"

    def __init__(self, config: DCGANDiscriminatorConfig, sample_shape: tuple[int, ...]):
        super().__init__()
        image_channels, base, doublings = image_geometry(sample_shape, "dcgan discriminator")
        widths = channels(config.width, config.max_width, doublings)  # at sides S/2 ... b
        batch_norm = config.norm == "batch"
        bias = not batch_norm
        _check_parameters(
            16 * image_channels * widths[0]
            + widths[0]
            + 2 * batch_norm * sum(widths[1:])
            + sum(16 * c_in * c_out + bias * c_out for c_in, c_out in itertools.pairwise(widths))
            + widths[-1] * base * base
            + 1,
            "dcgan discriminator",
        )
        slope = config.negative_slope
        layers: list[nn.Module] = [
            nn.Conv2d(image_channels, widths[0], 4, stride=2, padding=1),  # (B, C_1, S/2, S/2)
            nn.LeakyReLU(slope),
        ]
        for c_in, c_out in itertools.pairwise(widths):  # C_1 → C_2 ... C_(k-1) → C_k
            layers += [
                nn.Conv2d(c_in, c_out, 4, stride=2, padding=1, bias=bias),  # (B, c_out, s/2, s/2)
                nn.BatchNorm2d(c_out) if batch_norm else nn.Identity(),
                nn.LeakyReLU(slope),
            ]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(widths[-1] * base * base, 1)
        dcgan_init_(self)
        if config.norm == "spectral":  # after the initialisation: it normalises the weights drawn
            for layer in [m for m in self.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]:
                parametrizations.spectral_norm(layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x).flatten(1)  # (B, C_k · b · b)
        return self.head(h)  # (B, 1)
