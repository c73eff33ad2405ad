"""The ``mlp`` generator, discriminator and network: fully connected networks for any shape.

The ``mlp`` network serves the further roles of a GAN family (``[networks.ROLE]``): its input and
output are each "data" (one example's numbers), "noise" (the noise vector) or a number, so an
encoder is ``input = "data"``, ``output = "noise"`` and an InfoGAN Q head ``input = "data"``,
``output = 10``.
"""

from __future__ import annotations

import attrs
import torch
from torch import nn

from ganframe.config import (
    MAX_WIDTH,
    at_most,
    check_parameters,
    constraint,
    count_up_to,
    layer_sizes,
    non_negative,
    one_of,
    positive,
)
from ganframe.hookimpl import hookimpl
from ganframe.nn import ACTIVATIONS, init_normal_, mlp, numel, with_minibatch_discrimination


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
        raise ValueError(f"'activation' names {len(config.activation)} activations for {len(config.hidden)} "
                         f"hidden layers; give one name, or one per hidden layer")


def _layers(sizes: list[int], context, extra: int = 0) -> list[int]:
    """``sizes``, once checked not to make a network too large to allocate."""
    role = getattr(context, "role", None)
    where = "network" if role is None else role if role in ("generator", "discriminator") else f"networks.{role}"
    check_parameters(sizes, where, extra)
    return sizes


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
    # Minibatch discrimination (Salimans et al. 2016) before the last layer: each sample is also
    # scored on how close it is to the rest of its batch, which exposes a generator that repeats
    # itself (mode collapse). The number of kernels (0: off) and the size of each.
    minibatch_kernels: int = attrs.field(default=0, validator=[non_negative, at_most(MAX_WIDTH)])
    minibatch_kernel_dims: int = attrs.field(default=5, validator=count_up_to(MAX_WIDTH))  # the size of each kernel

    def __attrs_post_init__(self) -> None:
        _check_activations(self)


class MLPGenerator(nn.Module):
    def __init__(self, config: MLPGeneratorConfig, noise_dim: int, sample_shape: tuple[int, ...], context=None):
        super().__init__()
        self.sample_shape = tuple(sample_shape)
        self.net = mlp(
            _layers([noise_dim, *config.hidden, numel(sample_shape)], context),
            hidden_activation=config.activation, output_activation=config.output_activation,
            negative_slope=config.negative_slope,
        )
        if config.init_std is not None:
            init_normal_(self, config.init_std)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(z.shape[0], *self.sample_shape)  # (B, *sample_shape)


def _minibatch_parameters(config: MLPDiscriminatorConfig, features: int) -> int:
    """The parameters minibatch discrimination adds to a discriminator whose last layer reads ``features``."""
    kernels = config.minibatch_kernels
    return features * kernels * config.minibatch_kernel_dims + kernels * config.outputs if kernels else 0


class MLPDiscriminator(nn.Module):
    def __init__(self, config: MLPDiscriminatorConfig, sample_shape: tuple[int, ...], context=None):
        super().__init__()
        self.output = config.output
        sizes = [numel(sample_shape), *config.hidden, config.outputs]
        self.net = mlp(
            _layers(sizes, context, _minibatch_parameters(config, sizes[-2])),
            hidden_activation=config.activation,
            output_activation="sigmoid" if config.output == "probabilities" else "none",
            negative_slope=config.negative_slope,
        )
        if config.minibatch_kernels:
            self.net = with_minibatch_discrimination(self.net, config.minibatch_kernels, config.minibatch_kernel_dims)
        if config.init_std is not None:
            init_normal_(self, config.init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1))  # (B, outputs)


@constraint(f'"data", "noise" or 1 to {MAX_WIDTH}')
def _size(instance: object, attribute: attrs.Attribute, value: int | str) -> None:
    if value not in ("data", "noise") and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"'{attribute.name}' must be \"data\", \"noise\" or a positive number, got {value!r}")
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


class MLPNetwork(nn.Module):
    def __init__(self, config: MLPNetworkConfig, noise_dim: int, sample_shape: tuple[int, ...], context=None):
        super().__init__()
        shapes = {"data": tuple(sample_shape), "noise": (noise_dim,)}
        self.out_shape = shapes.get(config.output, (config.output,))  # type: ignore[arg-type]
        n_in = numel(shapes.get(config.input, (config.input,)))  # type: ignore[arg-type]
        self.net = mlp(_layers([n_in, *config.hidden, numel(self.out_shape)], context),
                       hidden_activation=config.activation,
                       output_activation=config.output_activation, negative_slope=config.negative_slope)
        if config.init_std is not None:
            init_normal_(self, config.init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1)).view(x.shape[0], *self.out_shape)  # (B, *out_shape)


@hookimpl
def register_generators(register):
    register(
        "mlp",
        lambda c, ctx: MLPGenerator(c, ctx.noise_dim, ctx.sample_shape, ctx),
        config=MLPGeneratorConfig,
        description="fully connected generator for any sample shape",
    )


@hookimpl
def register_discriminators(register):
    register(
        "mlp",
        lambda c, ctx: MLPDiscriminator(c, ctx.sample_shape, ctx),
        config=MLPDiscriminatorConfig,
        description="fully connected discriminator; minibatch discrimination with minibatch_kernels",
    )


@hookimpl
def register_networks(register):
    register("mlp", lambda c, ctx: MLPNetwork(c, ctx.noise_dim, ctx.sample_shape, ctx), config=MLPNetworkConfig,
             description="fully connected network for any role: input and output are data, noise or a size")
