"""Small data sources for the ALI tests, so that they need no other plugin: a 2-D ring of eight
tight clusters (with ``means``, as the mixtures plugin's ring has), tiny 4×4 images, and a loss
that records what it was called with."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

import ganframe

ANGLES = 2 * math.pi * torch.arange(8, dtype=torch.float64) / 8
MEANS = 2.0 * torch.stack([torch.cos(ANGLES), torch.sin(ANGLES)], dim=1)  # (8, 2)


class SmallRing(ganframe.Distribution):
    """Eight Gaussians of std 0.05 evenly on a circle of radius 2."""

    sample_shape = (2,)
    means = MEANS

    def sample(self, n, *, generator, device):
        which = torch.randint(8, (n,), generator=generator, device=device)  # (n,)
        return MEANS.float().to(device)[which] + 0.05 * torch.randn(n, 2, generator=generator, device=device)


class TinyImages(ganframe.Distribution):
    """(1, 4, 4) images in [-1, 1] model space, [0, 1] data space: a bright square somewhere."""

    sample_shape = (1, 4, 4)

    def sample(self, n, *, generator, device):
        corner = torch.randint(3, (n, 2), generator=generator, device=device)  # (n, 2)
        rows = torch.arange(4, device=device)
        inside_r = (rows[None] >= corner[:, :1]) & (rows[None] < corner[:, :1] + 2)  # (n, 4)
        inside_c = (rows[None] >= corner[:, 1:]) & (rows[None] < corner[:, 1:] + 2)  # (n, 4)
        return (inside_r[:, :, None] & inside_c[:, None, :]).float()[:, None] * 2 - 1  # (n, 1, 4, 4)

    def to_data_space(self, x):
        return (x + 1) / 2


class RecordingLoss:
    """Non-saturating BCE that records, per call of ``discriminator_loss``, the shapes of its two
    batches and whether each carries a graph."""

    def __init__(self):
        self.calls = []

    def discriminator_loss(self, discriminator, real, fake):
        self.calls.append((tuple(real.shape), real.requires_grad, tuple(fake.shape), fake.requires_grad))
        real_scores, fake_scores = discriminator(real), discriminator(fake)
        return F.binary_cross_entropy_with_logits(
            real_scores, torch.ones_like(real_scores)
        ) + F.binary_cross_entropy_with_logits(fake_scores, torch.zeros_like(fake_scores))

    def generator_loss(self, discriminator, fake, real=None):
        scores = discriminator(fake)
        return F.binary_cross_entropy_with_logits(scores, torch.ones_like(scores))


class AliTestPlugin:
    """The plugin object registering ``small-ring``, ``tiny-images`` and the ``recording`` loss."""

    def __init__(self):
        self.loss = RecordingLoss()

    @ganframe.hookimpl
    def register_data_sources(self, register):
        register("small-ring", lambda config, context: SmallRing(), description="eight 2-D clusters on a ring")
        register("tiny-images", lambda config, context: TinyImages(), description="4x4 images of a square")

    @ganframe.hookimpl
    def register_losses(self, register):
        register("recording", lambda config, context: self.loss, description="BCE that records its calls")


def config(
    *,
    steps=3,
    seed=0,
    batch_size=32,
    data="small-ring",
    noise_dim=2,
    hidden=(32, 32),
    lr=1e-3,
    discriminator=None,
    encoder=None,
    strategy=None,
    loss="non-saturating",
    train=None,
):
    """A small ALI experiment as a config dict."""
    adam = {"name": "adam", "lr": lr, "betas": [0.5, 0.999]}
    encoder_table = {
        "name": "mlp",
        "input": "data",
        "output": "noise",
        "hidden": list(hidden),
        "activation": "relu",
        "optimizer": adam,
    }
    raw = {
        "seed": seed,
        "device": "cpu",
        "data": {"name": data},
        "noise": {"name": "normal", "dim": noise_dim},
        "generator": {"name": "mlp", "hidden": list(hidden), "activation": "relu", "optimizer": adam},
        "discriminator": discriminator or {"name": "pair-mlp", "hidden": list(hidden), "optimizer": adam},
        "loss": {"name": loss},
        "strategy": strategy or {"name": "ali"},
        "train": {"steps": steps, "batch_size": batch_size, "log_every": 1000, "threads": 1, **(train or {})},
        "evaluation": {"metrics": [], "samples": 200},
        "logging": {"plots": False, "report": False},
    }
    if encoder is not False:
        raw["networks"] = {"encoder": {**encoder_table, **(encoder or {})}}
    return raw
