"""Adversarial losses beyond BCE, and the regularisers that go with them.

Every loss here reads D's raw scores: the discriminator must have ``output = "logits"`` (one score
per example). Each also takes ``r1``: the R1 penalty (Mescheder et al. 2018), ``r1 / 2 · E‖∇ₓD(x)‖²``
on real data, added to D's loss; 0 is off.

* ``least-squares`` (LSGAN, Mao et al. 2017): D: ½E(D(x)−1)² + ½E D(G(z))²; G: ½E(D(G(z))−1)².
* ``hinge`` (Lim & Ye 2017; Miyato et al. 2018): D: E max(0, 1−D(x)) + E max(0, 1+D(G(z)));
  G: −E D(G(z)).
* ``wasserstein`` (WGAN, Arjovsky et al. 2017): D: E D(G(z)) − E D(x); G: −E D(G(z)); D's weights are
  clipped to [−clip, clip] before every use, which equals clipping after every update.
* ``wasserstein-gp`` (WGAN-GP, Gulrajani et al. 2017): the Wasserstein loss plus
  ``gp_weight · E(‖∇D(x̂)‖₂ − 1)²`` at x̂ = εx + (1−ε)G(z), one ε ~ U(0, 1) per example.
* ``feature-matching`` (Salimans et al. 2016): D as for ``non-saturating``; G matches the mean of
  D's features (the input of D's last linear layer) on real and fake batches: ‖E f(x) − E f(G(z))‖².
* ``bce``: the non-saturating BCE loss with one-sided label smoothing (``real_label``, e.g. 0.9;
  Salimans et al. 2016) and noisy labels (``flip``: each of D's labels swapped with that probability).

Random draws (ε, flipped labels) come from PyTorch's global generator, which ganframe seeds and
checkpoints, so runs repeat bit for bit and resume exactly.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganframe.components import discriminator_output
from ganframe.errors import ConfigError
from ganframe.nn import with_last_linear_input

# The losses' options, importable from here as before.
from .configs import BCEConfig, GradientPenaltyConfig, R1Config, WassersteinConfig  # noqa: F401


def scores(discriminator: torch.nn.Module, x: torch.Tensor, loss: str) -> torch.Tensor:
    """D's raw scores ``(B,)`` for ``x``; a clear error unless D gives one logit per example."""
    if discriminator_output(discriminator) != "logits":
        raise ConfigError(f'loss {loss!r} needs raw scores: set the discriminator\'s output to "logits"')
    out = discriminator(x)
    if out.dim() > 2 or (out.dim() == 2 and out.shape[1] != 1):
        raise ConfigError(f"loss {loss!r} needs one score per example; the discriminator gave shape {tuple(out.shape)}")
    return out.reshape(-1)


def input_gradient(discriminator: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """∇ₓ Σ D(x), one row per example ``(B, numel)``, with a graph so that a penalty on it trains D."""
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(discriminator(x).sum(), x, create_graph=True)
    return grad.reshape(len(x), -1)


class _Loss:
    """Adds the R1 penalty to D's loss of each subclass."""

    name = ""

    def __init__(self, config) -> None:
        self.config = config

    def d_loss(self, discriminator, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """D's loss without the penalty: each subclass's own."""
        raise NotImplementedError

    @property
    def needs_double_backward(self) -> bool:
        """The R1 penalty backpropagates through D's input gradient, which torch.compile cannot:
        ganframe then leaves the networks eagerly run under train.compile (docs/gpu.md)."""
        return bool(self.config.r1)

    def discriminator_loss(self, discriminator, real, fake):
        loss = self.d_loss(discriminator, real, fake)
        if self.config.r1:
            loss = loss + self.config.r1 / 2 * input_gradient(discriminator, real).square().sum(1).mean()
        return loss

    def scores(self, discriminator, x):
        return scores(discriminator, x, self.name)


class LeastSquares(_Loss):
    name = "least-squares"

    def d_loss(self, discriminator, real, fake):
        return 0.5 * (
            (self.scores(discriminator, real) - 1).square().mean() + self.scores(discriminator, fake).square().mean()
        )

    def generator_loss(self, discriminator, fake, real=None):
        return 0.5 * (self.scores(discriminator, fake) - 1).square().mean()


class Hinge(_Loss):
    name = "hinge"

    def d_loss(self, discriminator, real, fake):
        return F.relu(1 - self.scores(discriminator, real)).mean() + F.relu(1 + self.scores(discriminator, fake)).mean()

    def generator_loss(self, discriminator, fake, real=None):
        return -self.scores(discriminator, fake).mean()


class Wasserstein(_Loss):
    name = "wasserstein"

    def _clip(self, discriminator) -> None:
        if getattr(self.config, "clip", 0.0):
            with torch.no_grad():
                for parameter in discriminator.parameters():
                    parameter.clamp_(-self.config.clip, self.config.clip)

    def d_loss(self, discriminator, real, fake):
        self._clip(discriminator)
        return self.scores(discriminator, fake).mean() - self.scores(discriminator, real).mean()

    def generator_loss(self, discriminator, fake, real=None):
        self._clip(discriminator)
        return -self.scores(discriminator, fake).mean()


class WassersteinGP(Wasserstein):
    name = "wasserstein-gp"

    @property
    def needs_double_backward(self) -> bool:
        """The gradient penalty, like R1, backpropagates through D's input gradient."""
        return bool(self.config.gp_weight) or bool(self.config.r1)

    def d_loss(self, discriminator, real, fake):
        shape = (len(real),) + (1,) * (real.dim() - 1)  # one ε per example
        epsilon = torch.rand(shape, device=real.device, dtype=real.dtype)
        between = epsilon * real.detach() + (1 - epsilon) * fake.detach()
        penalty = (input_gradient(discriminator, between).norm(dim=1) - 1).square().mean()
        return super().d_loss(discriminator, real, fake) + self.config.gp_weight * penalty


class BCE(_Loss):
    name = "bce"

    def _labels(self, like: torch.Tensor, real: bool) -> torch.Tensor:
        target = torch.full_like(like, self.config.real_label if real else 0.0)
        if self.config.flip:
            flipped = torch.rand(like.shape, device=like.device) < self.config.flip
            target = torch.where(flipped, (self.config.real_label if not real else 0.0), target)
        return target

    def d_loss(self, discriminator, real, fake):
        real_scores, fake_scores = self.scores(discriminator, real), self.scores(discriminator, fake)
        return F.binary_cross_entropy_with_logits(
            real_scores, self._labels(real_scores, True)
        ) + F.binary_cross_entropy_with_logits(fake_scores, self._labels(fake_scores, False))

    def generator_loss(self, discriminator, fake, real=None):
        fake_scores = self.scores(discriminator, fake)
        return F.binary_cross_entropy_with_logits(fake_scores, torch.ones_like(fake_scores))


class FeatureMatching(BCE):
    name = "feature-matching"

    def generator_loss(self, discriminator, fake, real=None):
        if real is None:  # before D's first step there is no real batch yet
            return super().generator_loss(discriminator, fake)
        return (features(discriminator, real).mean(0) - features(discriminator, fake).mean(0)).square().sum()


def features(discriminator: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """What D's last linear layer reads for ``x``: ``(B', in_features)``."""
    return with_last_linear_input(discriminator, x)[1]
