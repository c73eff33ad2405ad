"""Standard adversarial losses: minimax and non-saturating BCE.

The BCE losses work on logits or on probabilities: they read the discriminator's ``output``
attribute and use ``binary_cross_entropy_with_logits`` or ``binary_cross_entropy`` to match, so
the tutorials' Sigmoid + BCELoss and the numerically safer logits form share one component.

Registration and options only; the losses are in :mod:`ganframe.builtin.bce`, imported when one is
built, so that ``ganframe list`` does not import PyTorch.
"""

from __future__ import annotations

import attrs

from ganframe.config import one_of
from ganframe.hookimpl import hookimpl


@attrs.frozen(kw_only=True)
class BCEConfig:
    # How D's real and fake terms combine: "sum" (most code) or "mean" (their average).
    d_terms: str = attrs.field(default="sum", validator=one_of("sum", "mean"))


def _bce():
    from . import bce  # imported when a loss is built, not when it is listed

    return bce


@hookimpl
def register_losses(register):
    register(
        "non-saturating",
        lambda c, ctx: _bce().BCELoss(c.d_terms, non_saturating=True),
        config=BCEConfig,
        description="BCE; G maximises log D(G(z)) (targets 1), the usual choice",
    )
    register(
        "minimax",
        lambda c, ctx: _bce().BCELoss(c.d_terms, non_saturating=False),
        config=BCEConfig,
        description="BCE; G minimises log(1 - D(G(z))), the original minimax game",
    )


def __getattr__(name: str):  # the loss, importable from here as before
    if name == "BCELoss":
        return getattr(_bce(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
