"""Options of the built-in ``mlp`` generator, discriminator and network (see
:mod:`ganframe.builtin.networks`, which registers them, and :mod:`ganframe.builtin.mlp`, which
builds them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from ganframe.config import (
    ACTIVATIONS,
    MAX_WIDTH,
    RemovedOptions,
    constraint,
    count_up_to,
    layer_sizes,
    one_of,
    positive,
)


def _activations(instance: object, attribute: attrs.Attribute, value: str | tuple[str, ...]) -> None:
    names = (value,) if isinstance(value, str) else value
    for name in names:
        if name not in ACTIVATIONS:
            raise ValueError(f"'{attribute.name}' must be one of {', '.join(ACTIVATIONS)}, got {name!r}")


@constraint("> 0, or None")
def _init_std(instance: object, attribute: attrs.Attribute, value: float | None) -> None:
    positive(instance, attribute, value)


def _check_activations(config) -> None:
    """One activation per hidden layer, when a list is given."""
    if not isinstance(config.activation, str) and len(config.activation) != len(config.hidden):
        raise ValueError(
            f"'activation' names {len(config.activation)} activations for {len(config.hidden)} "
            f"hidden layers; give one name, or one per hidden layer"
        )


@attrs.frozen(kw_only=True)
class MLPGeneratorConfig:
    """Noise → hidden layers → one output per data feature, reshaped to the sample shape."""

    # Units in each hidden layer; [] makes a single linear map. At most 10^9 parameters in all.
    hidden: tuple[int, ...] = attrs.field(default=(64, 64), validator=layer_sizes)
    # One name for every hidden layer, or one per hidden layer.
    activation: str | tuple[str, ...] = attrs.field(default="leaky-relu", validator=_activations)
    negative_slope: float = 0.2  # of the leaky-relu activation
    # Applied to the outputs: "tanh" for data in [-1, 1], "sigmoid" for [0, 1], "none" for any value.
    output_activation: str = attrs.field(default="none", validator=_activations)
    # Weights drawn from N(0, init_std²) and biases set to zero; None: PyTorch's default.
    init_std: float | None = attrs.field(default=None, validator=_init_std)

    def __attrs_post_init__(self) -> None:
        _check_activations(self)


def _minibatch_extra(removed: Mapping[str, Any]) -> tuple[str, str] | None:
    """What replaces the removed ``minibatch_kernels`` option when it was on: the network extra
    (plugin ganframe-extras) with the same kernels and, as the option did, a freshly drawn last layer."""
    kernels = removed.get("minibatch_kernels", 0)
    if not kernels:
        return None
    dims = removed.get("minibatch_kernel_dims", 5)
    extra = f'name = "minibatch-discrimination", kernels = {kernels}, kernel_dims = {dims}, last_layer = "fresh"'
    return "minibatch_kernels", f"extras = [{{{extra}}}]"


@attrs.frozen(kw_only=True)
class MLPDiscriminatorConfig:
    """Sample → hidden layers → ``outputs`` scores."""

    # Units in each hidden layer; [] makes a logistic regression. At most 10^9 parameters in all.
    hidden: tuple[int, ...] = attrs.field(default=(64, 64), validator=layer_sizes)
    # One name for every hidden layer, or one per hidden layer.
    activation: str | tuple[str, ...] = attrs.field(default="leaky-relu", validator=_activations)
    negative_slope: float = 0.2  # of the leaky-relu activation
    # "logits" (pair with any loss) or "probabilities" (a Sigmoid at the end, as the tutorials do).
    output: str = attrs.field(default="logits", validator=one_of("logits", "probabilities"))
    outputs: int = attrs.field(default=1, validator=count_up_to(MAX_WIDTH))  # scores per example
    # Weights drawn from N(0, init_std²) and biases set to zero; None: PyTorch's default.
    init_std: float | None = attrs.field(default=None, validator=_init_std)
    # minibatch_kernels and minibatch_kernel_dims became the network extra minibatch-discrimination.
    removed_options: ClassVar[RemovedOptions] = RemovedOptions(
        ("minibatch_kernels", "minibatch_kernel_dims"), _minibatch_extra
    )

    def __attrs_post_init__(self) -> None:
        _check_activations(self)


@constraint(f'"data", "noise" or 1 to {MAX_WIDTH}')
def _size(instance: object, attribute: attrs.Attribute, value: int | str) -> None:
    if value not in ("data", "noise") and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f'\'{attribute.name}\' must be "data", "noise" or a positive number, got {value!r}')
    if isinstance(value, int) and value > MAX_WIDTH:
        raise ValueError(f"'{attribute.name}' must be at most {MAX_WIDTH}, got {value!r}")


@attrs.frozen(kw_only=True)
class MLPNetworkConfig:
    """A fully connected network for any role: ``input`` → hidden layers → ``output``."""

    # "data" (one example, flattened), "noise" (the noise vector) or a number of features.
    input: int | str = attrs.field(default="data", validator=_size)
    # "data" (shaped like one example), "noise" or a number of outputs.
    output: int | str = attrs.field(default="noise", validator=_size)
    hidden: tuple[int, ...] = attrs.field(default=(64, 64), validator=layer_sizes)
    activation: str | tuple[str, ...] = attrs.field(default="leaky-relu", validator=_activations)
    negative_slope: float = 0.2
    output_activation: str = attrs.field(default="none", validator=_activations)
    init_std: float | None = attrs.field(default=None, validator=_init_std)

    def __attrs_post_init__(self) -> None:
        _check_activations(self)
