"""ganframe extras: the well-known GAN stabilisation tricks, for any setup, by configuration.

Network extras (``generator.extras`` / ``discriminator.extras``), see :mod:`.features` and
:mod:`.training` and :mod:`.packing`: ``minibatch-discrimination``, ``minibatch-std``,
``spectral-norm``, ``ema`` (G), ``instance-noise`` and ``pack`` (PacGAN: D judges m examples at once).

Losses (``loss.name``), see :mod:`.losses`: ``least-squares``, ``hinge``, ``wasserstein`` (with
weight clipping), ``wasserstein-gp``, ``feature-matching`` and ``bce`` (one-sided label smoothing,
noisy labels); every one of them takes ``r1``, an R1 penalty on real data.

Built only on ganframe's public hooks::

    ganframe train even --set 'discriminator.extras=["minibatch-discrimination"]'
    ganframe train gaussian2d --set loss.name=wasserstein-gp --set strategy.d_steps=5
"""

from __future__ import annotations

from ganframe import hookimpl

from . import features, losses, packing, training


@hookimpl
def register_network_extras(register):
    features.register_extras(register)
    training.register_extras(register)
    packing.register_extras(register)


@hookimpl
def register_losses(register):
    losses.register_losses(register)


@hookimpl
def on_step_end(experiment, step):
    training.after_round(experiment, step)
