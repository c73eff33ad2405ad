"""The ``gaussian`` setup (learn N(4, 1.25²) in 1-D) as a plain PyTorch loop, presets ``default`` and ``tutorial``.

``default``: normal noise (1-D) → G 1-16-16-1 (ELU) ; D 1-32-32-1 (LeakyReLU 0.2) on logits;
non-saturating BCE (D's real and fake terms summed); Adam G 5e-4, D 2e-3, betas (0, 0.9); batch
1,024; each round one D step (fresh real batch, fresh noise, fakes without a graph) then one G step
(fresh noise); both learning rates decaying linearly to zero over 5,000 rounds.

``tutorial`` (Nag's article): uniform noise → G 1-50-50-1 (ELU, Sigmoid); D judges the whole batch
of 100 as one vector ``concat(x, (x − mean)²)`` (mean without gradient) → 200-50-50-1 (ELU) →
Sigmoid; BCE on probabilities; Adam 2e-4, betas (0.9, 0.999); D step then G step; 30,000 rounds.

Usage: ``Loop("default", seed=0).train(500)``; ``loop.logs()`` gives the per-round losses.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._common import DATA, NOISE, Clock, LinearDecay, Rounds, adam, generator, init_seed, one_thread, stream_seed

MEAN, STD = 4.0, 1.25
PRESETS = {
    "default": {
        "batch": 1024,
        "steps": 5000,
        "noise": "normal",
        "g_lr": 5e-4,
        "d_lr": 2e-3,
        "betas": (0.0, 0.9),
        "decay": "linear",
    },
    "tutorial": {
        "batch": 100,
        "steps": 30_000,
        "noise": "uniform",
        "g_lr": 2e-4,
        "d_lr": 2e-4,
        "betas": (0.9, 0.999),
        "decay": None,
    },
}


class SquaredDeviations(nn.Module):
    """The whole batch as one example: ``concat(x, (x − mean)²)``, the mean taken without gradient."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(1, -1)
        mean = flat.detach().mean(dim=1, keepdim=True)
        return torch.cat([flat, (flat - mean) ** 2], dim=1)  # (1, 2B)


def networks(preset: str, batch: int) -> tuple[nn.Module, nn.Module]:
    if preset == "default":
        g = nn.Sequential(nn.Linear(1, 16), nn.ELU(), nn.Linear(16, 16), nn.ELU(), nn.Linear(16, 1))
        d = nn.Sequential(nn.Linear(1, 32), nn.LeakyReLU(0.2), nn.Linear(32, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
    else:
        g = nn.Sequential(nn.Linear(1, 50), nn.ELU(), nn.Linear(50, 50), nn.Sigmoid(), nn.Linear(50, 1))
        d = nn.Sequential(
            SquaredDeviations(),
            nn.Linear(2 * batch, 50),
            nn.ELU(),
            nn.Linear(50, 50),
            nn.ELU(),
            nn.Linear(50, 1),
            nn.Sigmoid(),
        )
    return g, d


class Loop:
    """One run of a preset: networks, optimisers and random streams as ganframe builds them for ``seed``."""

    def __init__(
        self, preset: str = "default", seed: int = 0, total_steps: int | None = None, batch: int | None = None
    ) -> None:
        """``batch`` replaces the preset's batch size (to measure overheads with negligible kernels)."""
        self.preset, p = preset, PRESETS[preset]
        self.batch, self.total = batch or p["batch"], total_steps or p["steps"]
        with init_seed(seed):
            self.g, self.d = networks(preset, self.batch)
        self.opt_g, self.opt_d = adam(self.g, p["g_lr"], p["betas"]), adam(self.d, p["d_lr"], p["betas"])
        self.decay = LinearDecay([self.opt_g, self.opt_d], self.total) if p["decay"] == "linear" else None
        self.noise = generator(stream_seed(seed, NOISE, 0))
        self.data = generator(stream_seed(seed, DATA, 0))
        self.step = 0
        self.rounds = Rounds("d_loss", "g_loss")
        self.clock = Clock()

    def train(self, rounds: int) -> float:
        """Train ``rounds`` more rounds; returns their seconds."""
        g, d, opt_g, opt_d, decay = self.g, self.d, self.opt_g, self.opt_d, self.decay
        g_params = list(g.parameters())
        batch, noise, data = self.batch, self.noise, self.data
        logits = self.preset == "default"
        bce = F.binary_cross_entropy_with_logits if logits else F.binary_cross_entropy
        ones, zeros = torch.ones(1 if not logits else batch, 1), torch.zeros(1 if not logits else batch, 1)
        draw = torch.randn if self.preset == "default" else torch.rand
        d_losses, g_losses = self.rounds.values["d_loss"], self.rounds.values["g_loss"]
        g.train()
        d.train()
        with one_thread(), self.clock as clock:
            started = clock.seconds
            for step in range(self.step + 1, self.step + rounds + 1):
                real = torch.randn(batch, 1, generator=data).mul_(STD).add_(MEAN)
                with torch.no_grad():
                    fake = g(draw(batch, 1, generator=noise))
                opt_d.zero_grad(set_to_none=True)
                d_loss = bce(d(real), ones) + bce(d(fake), zeros)
                d_loss.backward()
                opt_d.step()

                opt_g.zero_grad(set_to_none=True)
                g_loss = bce(d(g(draw(batch, 1, generator=noise))), ones)
                g_loss.backward(inputs=g_params)
                opt_g.step()

                if decay is not None:
                    decay.after(step)
                d_losses.append(d_loss.detach())
                g_losses.append(g_loss.detach())
        self.step += rounds
        return clock.seconds - started

    def logs(self) -> dict[str, torch.Tensor]:
        return self.rounds.stacked()

    @property
    def networks(self) -> dict[str, nn.Module]:
        return {"generator": self.g, "discriminator": self.d}
