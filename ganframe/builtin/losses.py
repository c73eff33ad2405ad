"""Standard adversarial losses: minimax and non-saturating BCE.

The BCE losses work on logits or on probabilities: they read the discriminator's ``output``
attribute and use ``binary_cross_entropy_with_logits`` or ``binary_cross_entropy`` to match, so
the tutorials' Sigmoid + BCELoss and the numerically safer logits form share one component.
"""

from __future__ import annotations

import attrs
import torch
import torch.nn.functional as F

from ganframe.components import discriminator_output
from ganframe.config import one_of
from ganframe.hookimpl import hookimpl


@attrs.frozen(kw_only=True)
class BCEConfig:
    # How D's real and fake terms combine: "sum" (most code) or "mean" (their average).
    d_terms: str = attrs.field(default="sum", validator=one_of("sum", "mean"))


def _bce(scores: torch.Tensor, target: float, output: str) -> torch.Tensor:
    targets = torch.full_like(scores, target)
    if output == "probabilities":
        return F.binary_cross_entropy(scores, targets)
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


@hookimpl
def register_losses(register):
    register("non-saturating", lambda c, ctx: BCELoss(c.d_terms, non_saturating=True), config=BCEConfig,
             description="BCE; G maximises log D(G(z)) (targets 1), the usual choice")
    register("minimax", lambda c, ctx: BCELoss(c.d_terms, non_saturating=False), config=BCEConfig,
             description="BCE; G minimises log(1 - D(G(z))), the original minimax game")
