"""The ``alternating`` training strategy: D steps and G steps in turn, in either order."""

from __future__ import annotations

import attrs
import torch

from ganframe.config import one_of, positive
from ganframe.hookimpl import hookimpl


@attrs.frozen(kw_only=True)
class AlternatingConfig:
    d_steps: int = attrs.field(default=1, validator=positive)
    g_steps: int = attrs.field(default=1, validator=positive)
    order: str = attrs.field(default="d-first", validator=one_of("d-first", "g-first"))
    # The second phase reuses the first phase's fake batch instead of drawing new noise
    # (the even-number and 2-D tutorials do this). Needs one step of each.
    reuse_fake: bool = False

    def __attrs_post_init__(self) -> None:
        if self.reuse_fake and (self.d_steps != 1 or self.g_steps != 1):
            raise ValueError("'reuse_fake' needs d_steps = 1 and g_steps = 1")


@attrs.frozen
class Alternating:
    """Each round: ``d_steps`` discriminator updates and ``g_steps`` generator updates."""

    config: AlternatingConfig

    def train_round(self, trainer) -> dict[str, torch.Tensor]:
        logs: dict[str, torch.Tensor] = {}
        shared_fake: torch.Tensor | None = None
        phases = ("d", "g") if self.config.order == "d-first" else ("g", "d")
        for phase in phases:
            if phase == "d":
                for _ in range(self.config.d_steps):
                    real = trainer.real_batch()
                    if self.config.reuse_fake and shared_fake is None:
                        shared_fake = trainer.generate()  # keeps G's graph for the G phase
                    fake = shared_fake if shared_fake is not None else trainer.generate(grad=False)
                    logs["d_loss"] = trainer.discriminator_step(real, fake)
            else:
                for _ in range(self.config.g_steps):
                    if self.config.reuse_fake and shared_fake is None:
                        shared_fake = trainer.generate()
                    fake = shared_fake if shared_fake is not None else trainer.generate()
                    logs["g_loss"] = trainer.generator_step(fake)
        return logs


@hookimpl
def register_strategies(register):
    register("alternating", lambda c, ctx: Alternating(c), config=AlternatingConfig,
             description="d_steps D updates and g_steps G updates per round, D or G first")
