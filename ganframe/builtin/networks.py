"""The ``mlp`` generator and discriminator: fully connected networks for any sample shape."""

from __future__ import annotations

import attrs
import torch
from torch import nn

from ganframe.config import non_negative, one_of, positive
from ganframe.hookimpl import hookimpl
from ganframe.nn import ACTIVATIONS, BATCH_FEATURES, init_normal_, mlp, numel, with_minibatch_discrimination


def _activations(instance: object, attribute: attrs.Attribute, value: str | tuple[str, ...]) -> None:
    names = (value,) if isinstance(value, str) else value
    for name in names:
        if name not in ACTIVATIONS:
            raise ValueError(f"'{attribute.name}' must be one of {', '.join(ACTIVATIONS)}, got {name!r}")


def _sizes(instance: object, attribute: attrs.Attribute, value: tuple[int, ...]) -> None:
    if any(size < 1 for size in value):
        raise ValueError(f"'{attribute.name}' sizes must be positive, got {list(value)!r}")


def _init_std(instance: object, attribute: attrs.Attribute, value: float | None) -> None:
    if value is not None and not value > 0:
        raise ValueError(f"'init_std' must be > 0, got {value!r}")


@attrs.frozen(kw_only=True)
class MLPGeneratorConfig:
    """Noise → hidden layers → one output per data feature, reshaped to the sample shape."""

    hidden: tuple[int, ...] = attrs.field(default=(64, 64), validator=_sizes)
    # One name for every hidden layer, or one per hidden layer.
    activation: str | tuple[str, ...] = attrs.field(default="leaky-relu", validator=_activations)
    negative_slope: float = 0.2
    output_activation: str = attrs.field(default="none", validator=_activations)
    init_std: float | None = attrs.field(default=None, validator=_init_std)  # None: PyTorch's default


@attrs.frozen(kw_only=True)
class MLPDiscriminatorConfig:
    """Sample (or whole batch) → hidden layers → ``outputs`` scores."""

    hidden: tuple[int, ...] = attrs.field(default=(64, 64), validator=_sizes)
    activation: str | tuple[str, ...] = attrs.field(default="leaky-relu", validator=_activations)
    negative_slope: float = 0.2
    # "logits" (pair with any loss) or "probabilities" (a Sigmoid at the end, as the tutorials do).
    output: str = attrs.field(default="logits", validator=one_of("logits", "probabilities"))
    outputs: int = attrs.field(default=1, validator=positive)
    # "none": D scores each sample. Otherwise D scores the whole batch as one example, seeing
    # "squared-deviations" (the 1-D article) or the batch's "moments" (its later version).
    batch_input: str = attrs.field(default="none", validator=one_of("none", *BATCH_FEATURES))
    init_std: float | None = attrs.field(default=None, validator=_init_std)
    # Minibatch discrimination (Salimans et al. 2016) before the last layer: each sample is also
    # scored on how close it is to the rest of its batch, which exposes a generator that repeats
    # itself (mode collapse). The number of kernels (0: off) and the size of each.
    minibatch_kernels: int = attrs.field(default=0, validator=non_negative)
    minibatch_kernel_dims: int = attrs.field(default=5, validator=positive)

    def __attrs_post_init__(self) -> None:
        if self.minibatch_kernels and self.batch_input != "none":
            raise ValueError("'minibatch_kernels' needs batch_input = \"none\" (it compares the samples of a batch)")


class MLPGenerator(nn.Module):
    def __init__(self, config: MLPGeneratorConfig, noise_dim: int, sample_shape: tuple[int, ...]):
        super().__init__()
        self.sample_shape = tuple(sample_shape)
        self.net = mlp(
            [noise_dim, *config.hidden, numel(sample_shape)],
            hidden_activation=config.activation, output_activation=config.output_activation,
            negative_slope=config.negative_slope,
        )
        if config.init_std is not None:
            init_normal_(self, config.init_std)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(z.shape[0], *self.sample_shape)  # (B, *sample_shape)


class MLPDiscriminator(nn.Module):
    def __init__(self, config: MLPDiscriminatorConfig, sample_shape: tuple[int, ...], batch_size: int):
        super().__init__()
        self.output = config.output
        self.batch_size = batch_size
        size = numel(sample_shape)
        if config.batch_input == "none":
            self.features: nn.Module = nn.Flatten()
            n_in = size
        else:
            feature_class = BATCH_FEATURES[config.batch_input]
            self.features = feature_class()
            n_in = feature_class.features(batch_size, size)
        self.batch_input = config.batch_input
        self.net = mlp(
            [n_in, *config.hidden, config.outputs],
            hidden_activation=config.activation,
            output_activation="sigmoid" if config.output == "probabilities" else "none",
            negative_slope=config.negative_slope,
        )
        if config.minibatch_kernels:
            self.net = with_minibatch_discrimination(self.net, config.minibatch_kernels, config.minibatch_kernel_dims)
        if config.init_std is not None:
            init_normal_(self, config.init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.batch_input == "squared-deviations" and x.shape[0] != self.batch_size:
            raise ValueError(
                f"this discriminator judges whole batches of {self.batch_size}; got a batch of {x.shape[0]}"
            )
        return self.net(self.features(x))  # (B, outputs), or (1, outputs) for a whole batch


@hookimpl
def register_generators(register):
    register(
        "mlp",
        lambda c, ctx: MLPGenerator(c, ctx.noise_dim, ctx.sample_shape),
        config=MLPGeneratorConfig,
        description="fully connected generator for any sample shape",
    )


@hookimpl
def register_discriminators(register):
    register(
        "mlp",
        lambda c, ctx: MLPDiscriminator(c, ctx.sample_shape, ctx.batch_size),
        config=MLPDiscriminatorConfig,
        description="fully connected discriminator; can judge whole batches (batch_input)",
    )
