"""Optimisers for either network: Adam, SGD and RMSprop, with their usual options."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ganframe.config import below, constraint, non_negative, one_of, positive
from ganframe.hookimpl import hookimpl

if TYPE_CHECKING:  # the factories import PyTorch when they build an optimiser, not when it is listed
    import torch


@constraint("each in [0, 1)")
def _betas(instance: object, attribute: attrs.Attribute, value: tuple[float, float]) -> None:
    if len(value) != 2 or not all(0.0 <= b < 1.0 for b in value):
        raise ValueError(f"'betas' must be two numbers in [0, 1), got {list(value)!r}")


# 1 or more: a moving average that never forgets (momentum that only grows, a squared-gradient
# average that stays at zero), which diverges.
_decay_rate = [non_negative, below(1)]


@attrs.frozen(kw_only=True)
class AdamConfig:
    lr: float = attrs.field(default=2e-4, validator=positive)  # the learning rate (train.lr_decay may decay it)
    # Decay rates of the moving averages of the gradient and of its square; 0.5 for beta1 suits GANs.
    betas: tuple[float, float] = attrs.field(default=(0.5, 0.999), validator=_betas)
    eps: float = attrs.field(default=1e-8, validator=positive)  # added to the denominator
    weight_decay: float = attrs.field(default=0.0, validator=non_negative)  # L2 penalty on the weights
    # "fused" runs one kernel for all parameters (faster on CPU and GPU); "auto" uses it where
    # the device supports it; "foreach" and "for-loop" are PyTorch's other implementations.
    implementation: str = attrs.field(default="auto", validator=one_of("auto", "fused", "foreach", "for-loop"))


@attrs.frozen(kw_only=True)
class SGDConfig:
    lr: float = attrs.field(default=1e-3, validator=positive)  # the learning rate (train.lr_decay may decay it)
    momentum: float = attrs.field(default=0.0, validator=_decay_rate)
    nesterov: bool = False  # Nesterov momentum (needs momentum > 0)
    weight_decay: float = attrs.field(default=0.0, validator=non_negative)  # L2 penalty on the weights

    def __attrs_post_init__(self) -> None:
        if self.nesterov and self.momentum == 0:
            raise ValueError("'nesterov' needs a 'momentum' greater than 0")


@attrs.frozen(kw_only=True)
class RMSpropConfig:
    lr: float = attrs.field(default=5e-5, validator=positive)  # the learning rate (train.lr_decay may decay it)
    alpha: float = attrs.field(default=0.99, validator=_decay_rate)  # decay rate of the squared-gradient average
    momentum: float = attrs.field(default=0.0, validator=_decay_rate)
    eps: float = attrs.field(default=1e-8, validator=positive)  # added to the denominator


def make_adam(config: AdamConfig, context) -> torch.optim.Optimizer:
    """Adam (Kingma & Ba); the default betas (0.5, 0.999) are the usual choice for GANs."""
    import torch

    params = list(context.parameters)
    choice = {"auto": {}, "fused": {"fused": True}, "foreach": {"foreach": True}, "for-loop": {"foreach": False}}[
        config.implementation
    ]
    if config.implementation == "auto" and _fused_supported(params):
        choice = {"fused": True}
    return torch.optim.Adam(
        params,
        lr=config.lr,
        betas=(config.betas[0], config.betas[1]),
        eps=config.eps,
        weight_decay=config.weight_decay,
        **choice,
    )


def _fused_supported(params: list[torch.nn.Parameter]) -> bool:
    return (
        bool(params)
        and all(p.is_floating_point() for p in params)
        and all(p.device.type in ("cpu", "cuda") for p in params)
    )


def make_sgd(config: SGDConfig, context) -> torch.optim.Optimizer:
    import torch

    return torch.optim.SGD(
        list(context.parameters),
        lr=config.lr,
        momentum=config.momentum,
        nesterov=config.nesterov,
        weight_decay=config.weight_decay,
    )


def make_rmsprop(config: RMSpropConfig, context) -> torch.optim.Optimizer:
    import torch

    return torch.optim.RMSprop(
        list(context.parameters), lr=config.lr, alpha=config.alpha, momentum=config.momentum, eps=config.eps
    )


@hookimpl
def register_optimizers(register):
    register("adam", make_adam, config=AdamConfig, description="Adam; betas (0.5, 0.999) by default")
    register("sgd", make_sgd, config=SGDConfig, description="stochastic gradient descent, optionally with momentum")
    register("rmsprop", make_rmsprop, config=RMSpropConfig, description="RMSprop")
