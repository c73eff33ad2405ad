"""The options of the ``mnist`` plugin's components: its data source and networks.

Apart from the modules that use them (:mod:`.data`, :mod:`.networks`) so that registering the
components, ``ganframe list`` and ``ganframe show`` import no PyTorch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from ganframe.config import (
    ACTIVATIONS,
    MAX_WIDTH,
    RemovedOptions,
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


def _minibatch_extras(removed: Mapping[str, Any]) -> tuple[str, str] | None:
    """What replaces the removed minibatch options of ``mnist-mlp``'s discriminator when one was on:
    the network extras of ganframe-extras, in the order the network applied them."""
    extras, first = [], None
    if removed.get("minibatch_kernels", 0):
        kernels, dims = removed["minibatch_kernels"], removed.get("minibatch_kernel_dims", 5)
        extras.append(f'{{name = "minibatch-discrimination", kernels = {kernels}, kernel_dims = {dims}}}')
        first = "minibatch_kernels"
    if removed.get("minibatch_std", False):
        extras.append('"minibatch-std"')
        first = first or "minibatch_std"
    return None if first is None else (first, f"extras = [{', '.join(extras)}]")


@attrs.frozen(kw_only=True)
class MLPDiscriminatorConfig:
    hidden: tuple[int, ...] = attrs.field(default=(512, 256), validator=_sizes)
    negative_slope: float = 0.2
    dropout: float = attrs.field(default=0.0, validator=_dropout)  # after every hidden layer
    # minibatch_std and minibatch_kernels became the network extras minibatch-std and
    # minibatch-discrimination (discriminator.extras).
    removed_options: ClassVar[RemovedOptions] = RemovedOptions(
        ("minibatch_std", "minibatch_kernels", "minibatch_kernel_dims"), _minibatch_extras
    )
