"""ganframe images: GANs on your own images.

Data source (``data.name``), see :mod:`.folder`:

* ``image-folder`` — the PNG/JPEG images of a folder (flat, or one subfolder per class as
  torchvision's ``ImageFolder``: then labels, for conditional GANs), resized and centre-cropped to
  ``size`` × ``size``, grey or RGB, scaled to [-1, 1]; decoded in ``workers`` processes as training
  goes, so a large folder streams instead of sitting in memory.

Networks, see :mod:`.dcgan`: the ``dcgan`` generator and discriminator (Radford et al., 2016) for
square images of any power-of-two size from 16 up, and 28 (MNIST).

This module registers the components; their options are in :mod:`.configs`. The implementations
are imported when a component is built, so that ``ganframe list`` does not import PyTorch.
"""

from __future__ import annotations

import importlib

import ganframe

from .configs import DCGANDiscriminatorConfig, DCGANGeneratorConfig, ImageFolderConfig

__all__ = ["DCGANDiscriminatorConfig", "DCGANGeneratorConfig", "ImageFolderConfig"]


def _load(module: str):
    """One of this package's implementation modules, imported when a component is built, not when listed."""
    return importlib.import_module(f".{module}", __name__)


@ganframe.hookimpl
def register_data_sources(register):
    register(
        "image-folder",
        lambda c, ctx: _load("folder").make_image_folder(c, ctx),
        config=ImageFolderConfig,
        description="your PNG/JPEG images: a flat folder, or one subfolder per class (labels)",
    )


@ganframe.hookimpl
def register_generators(register):
    register(
        "dcgan",
        lambda c, ctx: _load("dcgan").DCGANGenerator(c, ctx.noise_dim, ctx.sample_shape),
        config=DCGANGeneratorConfig,
        description="DCGAN generator of square images, 16x16 and up (and 28x28)",
    )


@ganframe.hookimpl
def register_discriminators(register):
    register(
        "dcgan",
        lambda c, ctx: _load("dcgan").DCGANDiscriminator(c, ctx.sample_shape),
        config=DCGANDiscriminatorConfig,
        description="DCGAN discriminator of square images, 16x16 and up (and 28x28)",
    )
