"""Options of the images plugin's components (no PyTorch here: ``ganframe list`` reads them)."""

from __future__ import annotations

import attrs
from attrs.validators import ge, instance_of, le

from ganframe.config import at_most, count_up_to, non_negative, one_of

# -- the image-folder data source ------------------------------------------------------------------


def _grey_or_rgb(attribute: attrs.Attribute, value: object) -> None:
    if value not in (1, 3) or isinstance(value, bool):
        raise ValueError(f"'{attribute.name}' must be 1 (grey) or 3 (RGB), got {value!r}")


@attrs.frozen(kw_only=True)
class ImageFolderConfig:
    path: str = attrs.field(validator=instance_of(str))  # a folder of images, or of one subfolder per class
    size: int = attrs.field(default=64, validator=[instance_of(int), ge(8), le(1024)])  # side, in pixels
    channels: int = attrs.field(default=3, validator=lambda _, attribute, value: _grey_or_rgb(attribute, value))
    workers: int = attrs.field(default=2, validator=[instance_of(int), ge(0), le(64)])  # decoding processes


# -- the dcgan networks ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class DCGANGeneratorConfig:
    # Channels of the last hidden layer (at half the image side); each layer nearer the noise, at
    # half the side of the next, has twice as many, up to max_width.
    width: int = attrs.field(default=64, validator=count_up_to(1024))
    max_width: int = attrs.field(default=512, validator=count_up_to(4096))  # channels of any layer, at most
    norm: str = attrs.field(default="batch", validator=one_of("batch", "none"))  # after every hidden layer
    # tanh for data in [-1, 1] (the image data sources'), sigmoid for [0, 1], none for unbounded
    output_activation: str = attrs.field(default="tanh", validator=one_of("tanh", "sigmoid", "none"))

    @max_width.validator
    def _at_least_width(self, attribute: attrs.Attribute, value: int) -> None:
        if value < self.width:
            raise ValueError(f"'max_width' ({value}) must be at least 'width' ({self.width})")


@attrs.frozen(kw_only=True)
class DCGANDiscriminatorConfig:
    # Channels of the first layer (at half the image side); each further layer, at half the side of
    # the one before, has twice as many, up to max_width.
    width: int = attrs.field(default=64, validator=count_up_to(1024))
    max_width: int = attrs.field(default=512, validator=count_up_to(4096))  # channels of any layer, at most
    # After every layer but the first: batch normalisation, spectral normalisation of every layer's
    # weight (Miyato et al., 2018; then no batch norm), or none (for gradient penalties: WGAN-GP).
    norm: str = attrs.field(default="batch", validator=one_of("batch", "spectral", "none"))
    negative_slope: float = attrs.field(default=0.2, validator=[non_negative, at_most(1)])  # of every LeakyReLU

    @max_width.validator
    def _at_least_width(self, attribute: attrs.Attribute, value: int) -> None:
        if value < self.width:
            raise ValueError(f"'max_width' ({value}) must be at least 'width' ({self.width})")
