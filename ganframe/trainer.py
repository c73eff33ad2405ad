"""What a training strategy works with: the networks by role, their optimisers, the loss, real
data, noise, and the one way to update a network.

A strategy's ``train_round(trainer)`` stays short and explicit because the mechanics live here:
drawing batches, freezing a network while another learns, zeroing, backpropagating into one
role's parameters only, averaging gradients across processes and stepping. The interface is the
``Trainer`` protocol of :mod:`ganframe.components`; :class:`RoundTrainer` implements it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import MappingProxyType
from typing import Protocol

import torch

from .acceleration import autocast_off
from .components import DISCRIMINATOR, GENERATOR, Loss, Noise, network_of
from .data import RealBatches
from .distributed import DistributedContext, average_gradients
from .errors import PluginError
from .network_copy import NetworkCopy


class RoundTrainer:
    """The training state shared by the loop and the strategy (see ``ganframe.components.Trainer``)."""

    def __init__(
        self,
        *,
        networks: Mapping[str, torch.nn.Module],
        optimizers: Mapping[str, torch.optim.Optimizer],
        loss: Loss,
        noise: Noise,
        real_batches: RealBatches,
        noise_generator: torch.Generator,
        rng: torch.Generator,
        device: torch.device,
        distributed: DistributedContext,
        strategy: str = "the strategy",
        scaler: torch.amp.GradScaler | None = None,
    ) -> None:
        self.networks: Mapping[str, torch.nn.Module] = MappingProxyType(dict(networks))
        self.optimizers: Mapping[str, torch.optim.Optimizer] = MappingProxyType(dict(optimizers))
        self.loss, self.noise = loss, noise
        self.real_batches = real_batches
        self.noise_generator = noise_generator
        self.rng = rng
        self.device = device
        self.distributed = distributed
        self.strategy = strategy  # who drives this trainer, for messages: "strategy 'x' (plugin 'y')"
        self.batch_size = real_batches.batch_size  # per process
        self.step = 0  # rounds completed
        self.real_draws = 0  # real batches drawn so far: decides the data order, saved in checkpoints
        self.last_real: torch.Tensor | None = None
        self._parameter_lists: dict[str, list[torch.nn.Parameter]] = {}
        self.scaler = scaler  # train.precision "fp16": the loss is scaled for backward, see update()
        self._tap: DrawTap | None = None  # where draws go while ganframe.graphs records or replays a round

    # -- networks by role -------------------------------------------------------------------------
    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(self.networks)

    @property
    def generator(self) -> torch.nn.Module:
        return self.network(GENERATOR)

    @property
    def discriminator(self) -> torch.nn.Module:
        return self.network(DISCRIMINATOR)

    def network(self, role: str) -> torch.nn.Module:
        return network_of(self.networks, role, self.strategy)

    def optimizer(self, role: str) -> torch.optim.Optimizer:
        self.network(role)  # an unknown role is a clear error
        return self.optimizers[role]

    # -- batches ----------------------------------------------------------------------------------
    def real_batch(self) -> torch.Tensor:
        """The next real batch for this process: ``(batch_size, *sample_shape)``."""
        batch = self.draw_real_batch() if self._tap is None else self._tap.real_batch(self.draw_real_batch)
        self.last_real = batch
        return batch

    def noise_batch(self, n: int | None = None) -> torch.Tensor:
        """``(n, noise_dim)`` latent noise; ``n`` defaults to the batch size."""
        n = n or self.batch_size
        return self.draw_noise_batch(n) if self._tap is None else self._tap.noise_batch(n, self.draw_noise_batch)

    def draw_real_batch(self) -> torch.Tensor:
        """The next real batch from the data, whatever a graph does with ``real_batch`` (ganframe.graphs)."""
        batch = self.real_batches.batch(self.real_draws)
        self.real_draws += 1
        return batch

    def draw_noise_batch(self, n: int) -> torch.Tensor:
        """``(n, noise_dim)`` noise from the noise stream, whatever a graph does with ``noise_batch``."""
        return self.noise.sample(n, generator=self.noise_generator, device=self.device)

    @contextmanager
    def draws_through(self, tap: DrawTap) -> Iterator[None]:
        """Inside the block, ``real_batch`` and ``noise_batch`` ask ``tap`` (ganframe.graphs records
        a round's draws, then serves a captured round static buffers in the same order)."""
        before, self._tap = self._tap, tap
        try:
            yield
        finally:
            self._tap = before

    def generate(self, n: int | None = None, *, grad: bool = True) -> torch.Tensor:
        """A fake batch from fresh noise; with ``grad=False`` no graph is kept (cheaper for D steps)."""
        z = self.noise_batch(n)
        if grad:
            return self.generator(z)
        with torch.no_grad():
            return self.generator(z)

    # -- updates ----------------------------------------------------------------------------------
    def update(self, role: str | Sequence[str], loss: torch.Tensor) -> torch.Tensor:
        """zero_grad → backward into ``role``'s parameters only → average across processes → step.

        ``role`` may be several roles, ``("generator", "encoder")``: one backward pass into all of
        their parameters, then each role's optimiser steps (ALI's G and E, InfoGAN's G and Q).
        With ``train.precision = "fp16"`` the loss is scaled for backward, and the gradients are
        averaged, unscaled and checked before the steps (a step with inf/NaN gradients is skipped).
        """
        roles = (role,) if isinstance(role, str) else tuple(role)
        if not roles or not all(isinstance(r, str) for r in roles):
            raise PluginError(f"{self.strategy} passed update() {role!r}; it takes a role name or a tuple of them")
        named = " and ".join(roles)
        optimizers = [self.optimizer(r) for r in roles]
        parameters = [
            p
            for optimizer in optimizers
            for group in optimizer.param_groups
            for p in group["params"]
            if p.requires_grad
        ]
        frozen = [
            r
            for r, optimizer in zip(roles, optimizers)
            if not any(p.requires_grad for group in optimizer.param_groups for p in group["params"])
        ]
        if frozen:
            raise PluginError(
                f"{self.strategy} updated the {frozen[0]} while it is frozen; update it outside "
                f"trainer.frozen({frozen[0]!r})"
            )
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise PluginError(f"{self.strategy} passed update({role!r}) a {_describe(loss)}; it takes a scalar loss")
        with autocast_off(self.device):  # autocast is for forward passes (train.precision)
            for optimizer in optimizers:
                optimizer.zero_grad(set_to_none=True)
            if loss.requires_grad:
                scaled = loss if self.scaler is None else self.scaler.scale(loss)
                torch.autograd.backward(scaled.reshape(()), inputs=parameters)
            if all(p.grad is None for p in parameters):
                raise PluginError(
                    f"{self.strategy} passed update({role!r}) a loss that does not depend on the "
                    f"{named}'s parameters (computed with a copy of the network, or under torch.no_grad?)"
                )
            # Averaged while still scaled: every process then finds the same inf/NaN and skips alike.
            average_gradients(parameters, self.distributed)
            if self.scaler is None:
                for optimizer in optimizers:
                    optimizer.step()
            else:  # an optimiser none of whose parameters got a gradient has nothing to step (as without a scaler)
                stepping = [
                    optimizer
                    for optimizer in optimizers
                    if any(p.grad is not None for group in optimizer.param_groups for p in group["params"])
                ]
                for optimizer in stepping:
                    self.scaler.unscale_(optimizer)
                for optimizer in stepping:
                    self.scaler.step(optimizer)  # skipped when a gradient is not finite
                self.scaler.update()  # once per update: a smaller scale after a skip, larger after many good steps
        return loss.detach()

    def discriminator_step(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """One D update on a real batch and a fake batch (detached here); returns the loss."""
        return self.update(DISCRIMINATOR, self.loss.discriminator_loss(self.discriminator, real, fake.detach()))

    def generator_step(self, fake: torch.Tensor) -> torch.Tensor:
        """One G update on a fake batch that still carries G's graph; D is frozen meanwhile."""
        with self.frozen(DISCRIMINATOR):
            loss = self.loss.generator_loss(self.discriminator, fake, self.last_real)
        return self.update(GENERATOR, loss)

    @contextmanager
    def frozen(self, *roles: str) -> Iterator[None]:
        """Stop gradients into the parameters of ``roles`` (D while G learns), then restore them."""
        parameters = [p for role in roles for p in self._parameters(role) if p.requires_grad]
        for p in parameters:
            p.requires_grad_(False)
        try:
            yield
        finally:
            for p in parameters:
                p.requires_grad_(True)

    def _parameters(self, role: str) -> list[torch.nn.Parameter]:
        """``role``'s parameters, listed once: walking a network's modules every round costs more
        than a small network's arithmetic (a network's parameters are fixed once it is built)."""
        if role not in self._parameter_lists:
            self._parameter_lists[role] = list(self.network(role).parameters())
        return self._parameter_lists[role]

    @contextmanager
    def rollback(self, *roles: str) -> Iterator[None]:
        """On leaving the block, put ``roles`` back as they were: weights, buffers and optimiser state.

        The first-order unrolled GAN: take real D steps inside the block, update G against the
        stepped D, and leave D as it was. Under torchrun the steps inside are averaged as any other,
        so every process rolls back to the same state.
        """
        if self._tap is not None:
            self._tap.unsafe("trainer.rollback")
        saved = {
            role: (
                {k: v.detach().clone() for k, v in self.network(role).state_dict().items()},
                copy.deepcopy(self.optimizer(role).state_dict()),
            )
            for role in roles
        }
        try:
            yield
        finally:
            with torch.no_grad():
                for role, (weights, optimizer_state) in saved.items():
                    self.networks[role].load_state_dict(weights)
                    self.optimizers[role].load_state_dict(optimizer_state)

    def differentiable_copy(self, role: str) -> NetworkCopy:
        """A copy of ``role``'s network to step differentiably (the exact unrolled GAN)."""
        if self._tap is not None:
            self._tap.unsafe("trainer.differentiable_copy")
        return NetworkCopy.of(self.network(role), self.distributed)


class DrawTap(Protocol):
    """What ``draws_through`` hands the trainer's draws to (ganframe.graphs implements it)."""

    def real_batch(self, draw: Callable[[], torch.Tensor]) -> torch.Tensor:
        """The round's next real batch; ``draw()`` takes one from the data."""
        ...

    def noise_batch(self, n: int, draw: Callable[[int], torch.Tensor]) -> torch.Tensor:
        """The round's next ``(n, noise_dim)`` noise; ``draw(n)`` takes it from the noise stream."""
        ...

    def unsafe(self, what: str) -> None:
        """The round used ``what`` (``"trainer.rollback"``), which a captured graph cannot replay."""
        ...


def _describe(value: object) -> str:
    if isinstance(value, torch.Tensor):
        return f"tensor of shape {tuple(value.shape)}"
    return type(value).__name__
