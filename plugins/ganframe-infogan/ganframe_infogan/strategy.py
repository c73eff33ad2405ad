"""The ``infogan`` strategy: a GAN whose generator must also make its latent codes recoverable.

Each round:

1. ``d_steps`` discriminator updates with the experiment's loss, each on a fresh real and fake batch;
2. one update of G and Q together, D frozen, on

   ``g_loss + lambda_cat · CE(Q(G(c)), category) + lambda_cont · NLL(continuous | Q(G(c)))``

   where the NLL is that of the factored Gaussian Q gives (half the squared error with unit
   variance). Minimising the two information terms maximises a lower bound on the mutual
   information between the codes and G's samples: G must make samples whose codes Q can read.

When Q is a head on D's features (``[networks.q] reads = "discriminator"``, the paper's shared
body), D's body is part of Q: each D update is then one update of D and Q together on D's loss
plus the information loss of that update's fakes, as in the authors' code.

The paper (Sec. 6) sets λ = 1 for discrete codes and "a smaller λ" for continuous ones; the
authors' MNIST code uses 1 for both, with Q's variance fixed at 1. The defaults follow that code.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganframe import ConfigError
from ganframe.components import Trainer
from ganframe.nn import last_linear, with_last_linear_input

from .configs import InfoGanConfig
from .noise import InfoGanNoise


def info_loss(
    q_output: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    category: torch.Tensor,
    continuous: torch.Tensor,
    lambda_cat: float,
    lambda_cont: float,
) -> torch.Tensor:
    """λ_cat · cross-entropy of the category + λ_cont · Gaussian NLL of the continuous codes (no constant).

    ``q_output``: logits (B, K), means (B, C), log-stds (B, C); ``category`` (B,), ``continuous`` (B, C).
    """
    logits, mean, log_std = q_output
    loss = mean.new_zeros(())
    if logits.shape[1]:
        loss = loss + lambda_cat * F.cross_entropy(logits, category)
    if mean.shape[1]:
        nll = 0.5 * ((continuous - mean) * torch.exp(-log_std)).square() + log_std  # (B, C)
        loss = loss + lambda_cont * nll.sum(1).mean()
    return loss


class InfoGan:
    """``d_steps`` D updates, then G and Q together on the adversarial loss plus the information loss."""

    roles = ("q",)

    def __init__(self, config: InfoGanConfig, noise: InfoGanNoise, q_reads_discriminator: bool) -> None:
        self.config, self.noise, self.shared = config, noise, q_reads_discriminator

    def _info(self, trainer: Trainer, noise: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """The information loss of ``fake`` (B, *sample_shape), made from ``noise`` (B, dim)."""
        category, continuous = self.noise.codes(noise)  # (B,), (B, continuous)
        q_input = with_last_linear_input(trainer.discriminator, fake)[1] if self.shared else fake
        return info_loss(
            trainer.network("q")(q_input), category, continuous, self.config.lambda_cat, self.config.lambda_cont
        )

    def train_round(self, trainer: Trainer) -> dict[str, torch.Tensor]:
        for _ in range(self.config.d_steps):
            real = trainer.real_batch()  # (B, *sample_shape)
            if self.shared:  # D's body is Q's body: D and Q learn the codes of D's fakes too
                noise = trainer.noise_batch()  # (B, dim)
                with torch.no_grad():
                    fake = trainer.generator(noise)  # (B, *sample_shape)
                d_loss = trainer.loss.discriminator_loss(trainer.discriminator, real, fake)
                trainer.update(("discriminator", "q"), d_loss + self._info(trainer, noise, fake))
                d_loss = d_loss.detach()
            else:
                d_loss = trainer.discriminator_step(real, trainer.generate(grad=False))
        noise = trainer.noise_batch()  # (B, dim)
        fake = trainer.generator(noise)  # (B, *sample_shape), with G's graph
        with trainer.frozen("discriminator"):
            g_loss = trainer.loss.generator_loss(trainer.discriminator, fake, real)
            info = self._info(trainer, noise, fake)
        trainer.update(("generator", "q"), g_loss + info)
        return {"d_loss": d_loss, "g_loss": g_loss.detach(), "info_loss": info.detach()}


def make_infogan(config: InfoGanConfig, context) -> InfoGan:
    """The InfoGAN strategy; refuses, in one line, noise without InfoGAN's codes, and a Q head that
    does not fit D's features."""
    if not isinstance(context.noise, InfoGanNoise):
        raise ConfigError(
            f"strategy 'infogan' needs the 'infogan' noise (z plus categorical and continuous codes), "
            f'not {type(context.noise).__name__}: set [noise] name = "infogan"'
        )
    q = context.network("q")
    q = getattr(q, "module", q)  # unwrap DDP
    shared = getattr(q, "reads", "samples") == "discriminator"
    if shared:
        discriminator = context.network("discriminator")
        try:
            features = last_linear(getattr(discriminator, "module", discriminator))[2].in_features
        except ValueError as exc:
            raise ConfigError(f"strategy 'infogan': Q reads D's features, but {exc}") from None
        expected = q.head[0].in_features
        if features != expected:
            raise ConfigError(
                f"strategy 'infogan': Q reads {expected} features of D (networks.q.features) but D's last "
                f"linear layer reads {features}: set networks.q.features = {features}"
            )
    return InfoGan(config, context.noise, shared)
