"""Network extras that change over training: an exponential moving average of the generator's
weights, and instance noise on the discriminator's inputs.

* ``ema`` (G; Yazıcı et al. 2019, Karras et al. 2018): a shadow copy of the generator whose weights
  follow the trained ones, ``shadow ← decay · shadow + (1 − decay) · weights`` after every training
  round (buffers such as batch-norm statistics are copied). Training uses the live generator;
  sampling and evaluation, which put it in evaluation mode, use the average, which is usually
  smoother and better than the last iterate. The shadow is part of the checkpoint.
* ``instance-noise`` (D; Sønderby et al. 2017, Arjovsky & Bottou 2017): Gaussian noise of standard
  deviation ``std`` added to every example D judges while training, real or fake, so the two
  distributions overlap and D cannot be perfect; with ``anneal`` the deviation falls linearly to 0
  by the last round.

Both are wrappers that hand attribute lookups (``output``, ``sample_shape``…) to the network they
wrap. They advance once per training round through ganframe's ``on_step_end`` hook.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.optim.swa_utils import get_ema_multi_avg_fn

from ganframe import hookimpl

from .configs import EMAConfig, InstanceNoiseConfig


class Wrapper(nn.Module):
    """A module around ``inner`` that answers for the attributes ``inner`` has and it lacks."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(super().__getattr__("inner"), name)

    def after_round(self, step: int, steps: int) -> None:
        """Called once after every training round (``step`` of ``steps`` done)."""


class EMAGenerator(Wrapper):
    """Trains ``inner``; in evaluation mode generates with the moving average of its weights."""

    def __init__(self, inner: nn.Module, decay: float) -> None:
        super().__init__(inner)
        self.decay = decay
        self.average = copy.deepcopy(inner)
        self.average.requires_grad_(False)
        self.average.eval()
        # torch's EMA update (one foreach lerp); not AveragedModel: 1.3-1.4x slower per update, 2 GPU syncs a round
        self.average_into = get_ema_multi_avg_fn(decay)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.inner(z) if self.training else self.average(z)

    def train(self, mode: bool = True):
        super().train(mode)
        self.average.eval()  # the average never uses batch statistics or dropout
        return self

    @torch.no_grad()
    def after_round(self, step: int, steps: int) -> None:
        # average ← lerp(average, live, 1 − decay), every parameter at once
        self.average_into(list(self.average.parameters()), list(self.inner.parameters()), None)
        for average, live in zip(self.average.buffers(), self.inner.buffers()):
            average.copy_(live)


class InstanceNoise(Wrapper):
    """Adds N(0, std²) to D's inputs while training; the noise is drawn from PyTorch's global
    generator, which ganframe seeds and checkpoints."""

    def __init__(self, inner: nn.Module, std: float, anneal: bool) -> None:
        super().__init__(inner)
        self.initial_std, self.anneal = std, anneal
        self.register_buffer("std", torch.tensor(float(std)))  # saved, so a resumed run goes on from here

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # initial_std, a number: the annealed std reaches 0 only after the last round, and deciding on
        # the tensor would make every round wait for the GPU (and keep it out of a CUDA graph)
        if self.training and self.initial_std > 0:
            x = x + self.std * torch.randn_like(x)
        return self.inner(x)

    def after_round(self, step: int, steps: int) -> None:
        if self.anneal:
            self.std.fill_(self.initial_std * max(0.0, 1.0 - step / steps))


def ema(config: EMAConfig, context):
    if context.role != "generator":
        raise ValueError("the moving average is of the generator's weights; use it in generator.extras")
    return lambda network: EMAGenerator(network, config.decay)


def instance_noise(config: InstanceNoiseConfig, context):
    if context.role != "discriminator":
        raise ValueError("instance noise blurs what the discriminator sees; use it in discriminator.extras")
    return lambda network: InstanceNoise(network, config.std, config.anneal)


class RoundAwareExtras:
    """A fit's round-aware extras, found once: each advanced by one round after every round."""

    def __init__(self, extras: list[Wrapper], steps: int) -> None:
        self.extras, self.steps = extras, steps

    @classmethod
    def of(cls, experiment) -> RoundAwareExtras | None:
        """The round-aware extras of every network role, or None when there are none."""
        extras = [
            module
            for network in experiment.networks.values()
            for module in network.modules()
            if isinstance(module, Wrapper)
        ]
        return cls(extras, experiment.config.train.steps) if extras else None

    @hookimpl
    def on_step_end(self, step: int) -> None:
        for extra in self.extras:
            extra.after_round(step, self.steps)
