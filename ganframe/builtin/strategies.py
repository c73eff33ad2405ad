"""The ``alternating`` training strategy: D steps and G steps in turn, in either order."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ganframe.components import Trainer
from ganframe.config import MAX_UPDATES_PER_ROUND, count_up_to, one_of
from ganframe.hookimpl import hookimpl

if TYPE_CHECKING:  # annotations only: listing the strategy imports no PyTorch
    import torch


@attrs.frozen(kw_only=True)
class AlternatingConfig:
    # D updates per round, each on a fresh batch
    d_steps: int = attrs.field(default=1, validator=count_up_to(MAX_UPDATES_PER_ROUND))
    g_steps: int = attrs.field(default=1, validator=count_up_to(MAX_UPDATES_PER_ROUND))  # G updates per round
    # Which network learns first in each round: D (most code) or G (Lightning's GAN example).
    order: str = attrs.field(default="d-first", validator=one_of("d-first", "g-first"))


@attrs.frozen
class Alternating:
    """Each round: ``d_steps`` discriminator updates and ``g_steps`` generator updates, each on
    fresh noise (D's fakes without a graph) and D's on a fresh real batch."""

    config: AlternatingConfig

    def train_round(self, trainer: Trainer) -> dict[str, torch.Tensor]:
        logs: dict[str, torch.Tensor] = {}
        phases = ("d", "g") if self.config.order == "d-first" else ("g", "d")
        for phase in phases:
            if phase == "d":
                for _ in range(self.config.d_steps):
                    logs["d_loss"] = trainer.discriminator_step(trainer.real_batch(), trainer.generate(grad=False))
            else:
                for _ in range(self.config.g_steps):
                    logs["g_loss"] = trainer.generator_step(trainer.generate())
        return logs


@hookimpl
def register_strategies(register):
    register(
        "alternating",
        lambda c, ctx: Alternating(c),
        config=AlternatingConfig,
        description="d_steps D updates and g_steps G updates per round, D or G first",
    )
