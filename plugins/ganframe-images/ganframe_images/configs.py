"""Options of the images plugin's components (no PyTorch here: ``ganframe list`` reads them)."""

from __future__ import annotations

import attrs
from attrs.validators import ge, in_, instance_of, le

# -- the image-folder data source (owned by .folder) ------------------------------------------------


@attrs.frozen(kw_only=True)
class ImageFolderConfig:
    path: str = attrs.field(validator=instance_of(str))  # a folder of images, or of one subfolder per class
    size: int = attrs.field(default=64, validator=[instance_of(int), ge(8), le(1024)])  # side, in pixels
    channels: int = attrs.field(default=3, validator=in_((1, 3)))  # 1: grey, 3: RGB
    workers: int = attrs.field(default=2, validator=[instance_of(int), ge(0), le(64)])  # decoding processes


# -- the dcgan networks (owned by .dcgan) ----------------------------------------------------------


@attrs.frozen(kw_only=True)
class DCGANGeneratorConfig:
    width: int = attrs.field(default=64, validator=[instance_of(int), ge(1), le(1024)])  # channels before the image


@attrs.frozen(kw_only=True)
class DCGANDiscriminatorConfig:
    width: int = attrs.field(default=64, validator=[instance_of(int), ge(1), le(1024)])  # channels after the image
    norm: str = attrs.field(default="batch", validator=in_(("batch", "spectral", "none")))
    negative_slope: float = 0.2
