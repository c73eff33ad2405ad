"""The built-in BCE losses (``non-saturating``, ``minimax``), imported when one is built;
:mod:`ganframe.builtin.losses` registers them with their options."""

from __future__ import annotations

import attrs
import torch
import torch.nn.functional as F

from ganframe.components import discriminator_output


def _bce(scores: torch.Tensor, target: float, output: str) -> torch.Tensor:
    targets = torch.full_like(scores, target)
    if output == "probabilities":
        # autocast (train.precision) refuses binary_cross_entropy on CUDA, unsafe in half precision: fp32 here
        wide = torch.promote_types(scores.dtype, torch.float32)
        with torch.autocast(scores.device.type, enabled=False):
            return F.binary_cross_entropy(scores.to(wide), targets.to(wide))
    return F.binary_cross_entropy_with_logits(scores, targets)


def _combine(real_term: torch.Tensor, fake_term: torch.Tensor, how: str) -> torch.Tensor:
    total = real_term + fake_term
    return total / 2 if how == "mean" else total


@attrs.frozen
class BCELoss:
    """D: BCE(D(real), 1) and BCE(D(fake), 0). G: ``non_saturating`` BCE(D(fake), 1), else −BCE(D(fake), 0)."""

    d_terms: str
    non_saturating: bool

    def discriminator_loss(self, discriminator, real, fake):
        output = discriminator_output(discriminator)
        real_term = _bce(discriminator(real), 1.0, output)
        fake_term = _bce(discriminator(fake), 0.0, output)
        return _combine(real_term, fake_term, self.d_terms)

    def generator_loss(self, discriminator, fake, real=None):
        output = discriminator_output(discriminator)
        if self.non_saturating:  # maximise log D(G(z)): strong gradients early on
            return _bce(discriminator(fake), 1.0, output)
        return -_bce(discriminator(fake), 0.0, output)  # minimise log(1 − D(G(z))): the original game
