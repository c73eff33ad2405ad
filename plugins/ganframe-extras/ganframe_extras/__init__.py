"""ganframe extras: the well-known GAN stabilisation tricks, for any setup, by configuration.

Network extras (``generator.extras`` / ``discriminator.extras``), see :mod:`.features`:
``minibatch-discrimination``, ``minibatch-std``, ``spectral-norm``.

Losses (``loss.name``), see :mod:`.losses`: ``least-squares``, ``hinge``, ``wasserstein`` (with
weight clipping), ``wasserstein-gp``, ``feature-matching`` and ``bce`` (one-sided label smoothing,
noisy labels); every one of them takes ``r1``, an R1 penalty on real data.

Built only on ganframe's public hooks::

    ganframe train even --set 'discriminator.extras=["minibatch-discrimination"]'
    ganframe train gaussian2d --set loss.name=wasserstein-gp --set strategy.d_steps=5
"""

from __future__ import annotations

from .features import register_network_extras
from .losses import register_losses

__all__ = ["register_losses", "register_network_extras"]
