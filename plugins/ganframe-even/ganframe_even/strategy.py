"""The ``bertagnolli`` strategy: the article's training step."""

from __future__ import annotations

import attrs
import torch

from ganframe.components import Trainer


@attrs.frozen
class Bertagnolli:
    """The article's step: one G update on a fresh fake batch, then one D update on that same fake
    batch (detached) and a real batch."""

    def train_round(self, trainer: Trainer) -> dict[str, torch.Tensor]:
        fake = trainer.generate()  # (B, bits), with G's graph
        g_loss = trainer.generator_step(fake)
        d_loss = trainer.discriminator_step(trainer.real_batch(), fake)
        return {"g_loss": g_loss, "d_loss": d_loss}
