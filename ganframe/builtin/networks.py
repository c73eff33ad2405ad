"""The ``mlp`` generator, discriminator and network: fully connected networks for any shape.

The ``mlp`` network serves the further roles of a GAN family (``[networks.ROLE]``): its input and
output are each "data" (one example's numbers), "noise" (the noise vector) or a number, so an
encoder is ``input = "data"``, ``output = "noise"`` and an InfoGAN Q head ``input = "data"``,
``output = 10``.

Registration only; the options are in :mod:`ganframe.builtin.mlp_options`, the networks in
:mod:`ganframe.builtin.mlp`, imported when one is built, so that ``ganframe list`` does not import
PyTorch.
"""

from __future__ import annotations

from ganframe.hookimpl import hookimpl

from .mlp_options import MLPDiscriminatorConfig, MLPGeneratorConfig, MLPNetworkConfig


def _mlp():
    from . import mlp  # imported when a network is built, not when it is listed

    return mlp


@hookimpl
def register_generators(register):
    register(
        "mlp",
        lambda c, ctx: _mlp().MLPGenerator(c, ctx.noise_dim, ctx.sample_shape, ctx),
        config=MLPGeneratorConfig,
        description="fully connected generator for any sample shape",
    )


@hookimpl
def register_discriminators(register):
    register(
        "mlp",
        lambda c, ctx: _mlp().MLPDiscriminator(c, ctx.sample_shape, ctx),
        config=MLPDiscriminatorConfig,
        description="fully connected discriminator",
    )


@hookimpl
def register_networks(register):
    register(
        "mlp",
        lambda c, ctx: _mlp().MLPNetwork(c, ctx.noise_dim, ctx.sample_shape, ctx),
        config=MLPNetworkConfig,
        description="fully connected network for any role: input and output are data, noise or a size",
    )


def __getattr__(name: str):  # the networks, importable from here as before
    if name in ("MLPGenerator", "MLPDiscriminator", "MLPNetwork"):
        return getattr(_mlp(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
