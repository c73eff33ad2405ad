"""The article's loss (``softmax-cross-entropy``) and training round (``straight-dope``)."""

from __future__ import annotations

import attrs
import torch
import torch.nn.functional as F

from ganframe.components import Trainer, discriminator_output
from ganframe.errors import ConfigError

from .configs import StraightDopeConfig


@attrs.frozen
class SoftmaxCrossEntropyLoss:
    """D outputs two logits per sample (class 1 real, 0 fake); cross-entropy on both classes."""

    d_terms: str

    def _ce(self, discriminator, x, label: int):
        logits = discriminator(x)  # (B, 2)
        if logits.dim() != 2 or logits.shape[1] != 2 or discriminator_output(discriminator) != "logits":
            raise ConfigError(
                "loss 'softmax-cross-entropy' needs a discriminator with two logits per sample "
                '(for the mlp discriminator: outputs = 2, output = "logits")'
            )
        return F.cross_entropy(logits, torch.full((logits.shape[0],), label, device=logits.device))

    def discriminator_loss(self, discriminator, real, fake):
        total = self._ce(discriminator, real, 1) + self._ce(discriminator, fake, 0)
        return total / 2 if self.d_terms == "mean" else total

    def generator_loss(self, discriminator, fake, real=None):
        return self._ce(discriminator, fake, 1)


def says_real(discriminator: torch.nn.Module, scores: torch.Tensor) -> torch.Tensor:
    """``(B,)`` booleans: which examples a discriminator's ``scores`` ``(B, ...)`` call real.

    One score per example: a logit above 0, or a probability above 0.5. Two logits per example
    (the softmax loss's class 1 is real): the real logit is the larger; a tie counts as fake, as
    argmax takes the first class.
    """
    output = discriminator_output(discriminator)
    flat = scores.reshape(scores.shape[0], -1)  # (B, scores per example)
    if flat.shape[1] == 1:
        return flat[:, 0] > (0.5 if output == "probabilities" else 0.0)
    if flat.shape[1] == 2 and output == "logits":
        return flat.argmax(dim=1) == 1
    raise ConfigError(
        f"strategy 'straight-dope' cannot tell which examples the discriminator calls real from "
        f"{flat.shape[1]} {output} per example; it needs one score or two logits per example"
    )


@attrs.frozen
class StraightDope:
    """One D update, then one G update (on the same fake batch, as the article does), logging D's
    accuracy on the real and the fake batch as judged just before its update: ``d_accuracy``,
    ``d_accuracy_real``, ``d_accuracy_fake``. The judging runs D in evaluation mode without
    gradients, so training is the same as without it."""

    config: StraightDopeConfig

    def train_round(self, trainer: Trainer) -> dict[str, torch.Tensor]:
        real = trainer.real_batch()  # (B, 2)
        fake = trainer.generate(grad=self.config.reuse_fake)  # G's graph is kept when the G update reuses it
        right_real, right_fake = self.judge(trainer.discriminator, real, fake.detach())
        d_loss = trainer.discriminator_step(real, fake)
        g_loss = trainer.generator_step(fake if self.config.reuse_fake else trainer.generate())
        judged = len(right_real) + len(right_fake)
        return {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_accuracy": (right_real.sum() + right_fake.sum()) / judged,
            "d_accuracy_real": right_real.float().mean(),
            "d_accuracy_fake": right_fake.float().mean(),
        }

    @staticmethod
    @torch.no_grad()
    def judge(discriminator: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor):
        """Which real and which fake examples D classifies correctly as it stands."""
        was_training = discriminator.training
        discriminator.eval()
        try:
            return says_real(discriminator, discriminator(real)), ~says_real(discriminator, discriminator(fake))
        finally:
            discriminator.train(was_training)
