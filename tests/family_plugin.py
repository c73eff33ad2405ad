"""A small GAN family written the way a third party would, for the tests: a third network role
(an encoder that maps samples back to their noise, as VEEGAN's reconstructor does), a strategy that
trains it, a metric that reads it, and a strategy that keeps state between rounds.

Only ganframe's public API is used: ``ganframe.hookimpl``, ``Trainer`` and the build context.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import torch

import ganframe
from ganframe.components import Trainer
from ganframe.config import non_negative


class Reconstruct:
    """A plain D and G update, then the encoder learns to give back G's noise: ‖E(G(z)) − z‖²."""

    roles = ("encoder",)

    def train_round(self, trainer: Trainer) -> dict[str, torch.Tensor]:
        d_loss = trainer.discriminator_step(trainer.real_batch(), trainer.generate(grad=False))
        g_loss = trainer.generator_step(trainer.generate())
        z = trainer.noise_batch()  # (B, noise_dim)
        with torch.no_grad():
            fake = trainer.generator(z)
        e_loss = trainer.update("encoder", (trainer.network("encoder")(fake) - z).square().mean())
        return {"d_loss": d_loss, "g_loss": g_loss, "e_loss": e_loss}


def reconstruction(samples: torch.Tensor, context) -> dict[str, float]:
    """How far the encoder maps generated samples from a fixed direction: any number that reads E."""
    encoder = context.networks["encoder"]
    with torch.no_grad():
        codes = encoder(samples.to(context.device).float())
    return {"code_norm": float(codes.norm(dim=1).mean())}


def needs_encoder(config, context):
    """A metric factory that asks for the encoder as it is built: a missing role fails early."""
    context.network("encoder")
    return reconstruction


@attrs.frozen(kw_only=True)
class AdaptiveConfig:
    # Take an extra D update in rounds where D's running mean loss is above this.
    threshold: float = attrs.field(default=1.0, validator=non_negative)
    # Chance of leaving out G's update in a round, drawn from the strategy's own random stream.
    skip_g: float = 0.3


class Adaptive:
    """A strategy with state: a running mean of D's loss, a count of extra D updates and the last
    few draws; every decision depends on them, so a resume that lost them would train differently."""

    def __init__(self, config: AdaptiveConfig) -> None:
        self.config = config
        self.mean_d_loss = 0.0
        self.extra_updates = 0
        self.draws = torch.zeros(4)

    def train_round(self, trainer: Trainer) -> dict[str, torch.Tensor]:
        logs = {"d_loss": trainer.discriminator_step(trainer.real_batch(), trainer.generate(grad=False))}
        if self.mean_d_loss > self.config.threshold:
            logs["d_loss"] = trainer.discriminator_step(trainer.real_batch(), trainer.generate(grad=False))
            self.extra_updates += 1
        self.mean_d_loss = 0.9 * self.mean_d_loss + 0.1 * float(logs["d_loss"])
        draw = torch.rand((), generator=trainer.rng)
        self.draws = torch.cat([self.draws[1:], draw.reshape(1).cpu()])
        if draw >= self.config.skip_g:
            logs["g_loss"] = trainer.generator_step(trainer.generate())
        return logs

    def state_dict(self) -> dict[str, Any]:
        return {"mean_d_loss": self.mean_d_loss, "extra_updates": self.extra_updates, "draws": self.draws.clone()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.mean_d_loss = float(state["mean_d_loss"])
        self.extra_updates = int(state["extra_updates"])
        self.draws = state["draws"].clone()


@ganframe.hookimpl
def register_strategies(register):
    register("reconstruct", lambda config, context: Reconstruct(), description="D, G, then the encoder")
    register(
        "adaptive",
        lambda config, context: Adaptive(config),
        config=AdaptiveConfig,
        description="extra D updates when D's running loss is high; G skipped at random",
    )


@ganframe.hookimpl
def register_metrics(register):
    register("code-norm", needs_encoder, description="mean norm of the encoder's codes of generated samples")
