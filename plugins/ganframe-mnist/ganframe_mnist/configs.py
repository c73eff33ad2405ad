"""The options of the ``mnist`` plugin's components: its data source and networks.

Apart from the modules that use them (:mod:`.data`, :mod:`.networks`) so that registering the
components, ``ganframe list`` and ``ganframe show`` import no PyTorch.
"""

from __future__ import annotations

import attrs

from ganframe.config import (
    ACTIVATIONS,
    MAX_WIDTH,
    at_most,
    below,
    constraint,
    count_up_to,
    non_negative,
    one_of,
)


@attrs.frozen(kw_only=True)
class MnistConfig:
    # A local copy of the raw files; None: $GANFRAME_MNIST_DIR, else download into cache_dir.
    data_dir: str | None = None
    # Downloads, decompressed copies and the metric's classifier; None: default_cache_dir().
    cache_dir: str | None = None
    # Whether torchvision may download the data when no data_dir is given.
    download: bool = True


MAX_CONV_WIDTH = 4096  # channels of the convolutional networks (about 150 million parameters)


@constraint(f"non-empty, each 1 to {MAX_WIDTH}")
def _sizes(instance: object, attribute: attrs.Attribute, value: tuple[int, ...]) -> None:
    if not value or any(size < 1 for size in value):
        raise ValueError(f"'{attribute.name}' must be a non-empty list of positive sizes, got {list(value)!r}")
    if any(size > MAX_WIDTH for size in value):
        raise ValueError(f"'{attribute.name}' sizes must be at most {MAX_WIDTH}, got {list(value)!r}")


_fraction = [non_negative, at_most(1)]
_dropout = [non_negative, below(1)]  # 1 drops every unit


@attrs.frozen(kw_only=True)
class BatchNormMLPConfig:
    hidden: tuple[int, ...] = attrs.field(default=(128, 256, 512, 1024), validator=_sizes)
    negative_slope: float = 0.2  # LeakyReLU after every hidden layer
    # of BatchNorm's running statistics, used when sampling
    momentum: float = attrs.field(default=0.1, validator=_fraction)
    output_activation: str = attrs.field(default="tanh", validator=one_of(*ACTIVATIONS))


@attrs.frozen(kw_only=True)
class ConvGeneratorConfig:
    # channels at 7x7; half of them at 14x14
    width: int = attrs.field(default=64, validator=count_up_to(MAX_CONV_WIDTH))


@attrs.frozen(kw_only=True)
class ConvDiscriminatorConfig:
    # channels at 7x7; half of them at 14x14
    width: int = attrs.field(default=64, validator=count_up_to(MAX_CONV_WIDTH))
    negative_slope: float = 0.2


@attrs.frozen(kw_only=True)
class MLPDiscriminatorConfig:
    hidden: tuple[int, ...] = attrs.field(default=(512, 256), validator=_sizes)
    negative_slope: float = 0.2
    dropout: float = attrs.field(default=0.0, validator=_dropout)  # after every hidden layer
    # Append the minibatch standard deviation (Karras et al., 2018) before the last layer: the mean
    # over features of the std over the batch, one extra input, so D can see a batch with too
    # little variety.
    minibatch_std: bool = True
    # Minibatch discrimination (Salimans et al., 2016) before the last layer: 0 kernels is off.
    minibatch_kernels: int = attrs.field(default=0, validator=[non_negative, at_most(MAX_WIDTH)])
    minibatch_kernel_dims: int = attrs.field(default=5, validator=count_up_to(MAX_WIDTH))
