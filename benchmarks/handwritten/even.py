"""The ``even`` setup (even integers in [0, 128) as 7 bits) as a plain PyTorch loop, presets ``default``
and ``tutorial``.

``default``: normal noise (8-D) → G 8-32-7 (LeakyReLU 0.2, Sigmoid); D 7-64 (LeakyReLU 0.2) →
minibatch discrimination (8 kernels × 5, Salimans et al.) → 72-1 logits; non-saturating BCE (terms
summed); Adam G 2e-3, D 4e-3, betas (0.5, 0.999); batch 32; each round one D step (fresh real batch,
fresh noise) then one G step (fresh noise); learning rates decaying linearly to zero over 500 rounds.

``tutorial`` (Bertagnolli's article): random bits (7) → G Linear(7, 7) + Sigmoid; D Linear(7, 1) +
Sigmoid; BCE on probabilities; Adam 1e-3, betas (0.9, 0.999); batch 16; each round one G step on a
fresh fake batch, then one D step on a real batch and that same fake batch (detached), D's loss the
mean of its two terms; 500 rounds.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._common import DATA, NOISE, Clock, LinearDecay, Rounds, adam, generator, init_seed, one_thread, stream_seed

BITS, VALUES = 7, 64  # even integers 0, 2, ..., 126
PRESETS = {
    "default": {"batch": 32, "steps": 500, "g_lr": 2e-3, "d_lr": 4e-3, "betas": (0.5, 0.999), "decay": "linear"},
    "tutorial": {"batch": 16, "steps": 500, "g_lr": 1e-3, "d_lr": 1e-3, "betas": (0.9, 0.999), "decay": None},
}


class MinibatchDiscrimination(nn.Module):
    """Each example's closeness to the rest of its batch, per kernel: ``(N, A)`` → ``(N, A + kernels)``."""

    def __init__(self, in_features: int, kernels: int, kernel_dims: int) -> None:
        super().__init__()
        self.kernels, self.kernel_dims = kernels, kernel_dims
        self.weight = nn.Parameter(torch.randn(in_features, kernels * kernel_dims) * 0.05)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = (x @ self.weight).view(x.shape[0], self.kernels, self.kernel_dims).transpose(0, 1)  # (B, N, C)
        closeness = torch.exp(-torch.cdist(m, m, p=1)).sum(dim=2) - 1.0  # (B, N), minus each example itself
        return torch.cat([x, closeness.t()], dim=1)


def networks(preset: str) -> tuple[nn.Module, nn.Module]:
    if preset == "tutorial":
        return nn.Sequential(nn.Linear(BITS, BITS), nn.Sigmoid()), nn.Sequential(nn.Linear(BITS, 1), nn.Sigmoid())
    g = nn.Sequential(nn.Linear(8, 32), nn.LeakyReLU(0.2), nn.Linear(32, BITS), nn.Sigmoid())
    first = nn.Linear(BITS, 64)
    nn.Linear(64, 1)  # ganframe builds D's plain last layer, then replaces it: drawn here to keep the stream
    d = nn.Sequential(first, nn.LeakyReLU(0.2), MinibatchDiscrimination(64, 8, 5), nn.Linear(64 + 8, 1))
    return g, d


def even_bits() -> torch.Tensor:
    """(64, 7): the even integers 0…126 in binary, most significant bit first, as floats."""
    shifts = torch.arange(BITS - 1, -1, -1)
    return ((torch.arange(VALUES).unsqueeze(1) * 2 >> shifts) & 1).float()


class Loop:
    """One run of a preset: networks, optimisers and random streams as ganframe builds them for ``seed``."""

    def __init__(
        self, preset: str = "default", seed: int = 0, total_steps: int | None = None, batch: int | None = None
    ) -> None:
        """``batch`` replaces the preset's batch size (to measure overheads with negligible kernels)."""
        self.preset, p = preset, PRESETS[preset]
        self.batch, self.total = batch or p["batch"], total_steps or p["steps"]
        with init_seed(seed):
            self.g, self.d = networks(preset)
        self.opt_g, self.opt_d = adam(self.g, p["g_lr"], p["betas"]), adam(self.d, p["d_lr"], p["betas"])
        self.decay = LinearDecay([self.opt_g, self.opt_d], self.total) if p["decay"] == "linear" else None
        self.noise = generator(stream_seed(seed, NOISE, 0))
        self.data = generator(stream_seed(seed, DATA, 0))
        self.table = even_bits()
        self.step = 0
        self.rounds = Rounds("d_loss", "g_loss")
        self.clock = Clock()

    def train(self, rounds: int) -> float:
        """Train ``rounds`` more rounds; returns their seconds."""
        train_round = self._tutorial_round if self.preset == "tutorial" else self._default_round
        g_params = list(self.g.parameters())
        ones, zeros = torch.ones(self.batch, 1), torch.zeros(self.batch, 1)
        d_losses, g_losses = self.rounds.values["d_loss"], self.rounds.values["g_loss"]
        decay = self.decay
        self.g.train()
        self.d.train()
        with one_thread(), self.clock as clock:
            started = clock.seconds
            for step in range(self.step + 1, self.step + rounds + 1):
                d_loss, g_loss = train_round(g_params, ones, zeros)
                if decay is not None:
                    decay.after(step)
                d_losses.append(d_loss)
                g_losses.append(g_loss)
        self.step += rounds
        return clock.seconds - started

    def _real(self) -> torch.Tensor:
        return self.table[torch.randint(0, VALUES, (self.batch,), generator=self.data)]

    def _default_round(self, g_params, ones, zeros) -> tuple[torch.Tensor, torch.Tensor]:
        g, d, opt_g, opt_d, noise, batch = self.g, self.d, self.opt_g, self.opt_d, self.noise, self.batch
        bce = F.binary_cross_entropy_with_logits
        real = self._real()
        with torch.no_grad():
            fake = g(torch.randn(batch, 8, generator=noise))
        opt_d.zero_grad(set_to_none=True)
        d_loss = bce(d(real), ones) + bce(d(fake), zeros)
        d_loss.backward()
        opt_d.step()

        opt_g.zero_grad(set_to_none=True)
        g_loss = bce(d(g(torch.randn(batch, 8, generator=noise))), ones)
        g_loss.backward(inputs=g_params)
        opt_g.step()
        return d_loss.detach(), g_loss.detach()

    def _tutorial_round(self, g_params, ones, zeros) -> tuple[torch.Tensor, torch.Tensor]:
        g, d, opt_g, opt_d = self.g, self.d, self.opt_g, self.opt_d
        bce = F.binary_cross_entropy
        fake = g(torch.randint(0, 2, (self.batch, BITS), generator=self.noise).float())
        opt_g.zero_grad(set_to_none=True)
        g_loss = bce(d(fake), ones)
        g_loss.backward(inputs=g_params)
        opt_g.step()

        opt_d.zero_grad(set_to_none=True)
        d_loss = (bce(d(self._real()), ones) + bce(d(fake.detach()), zeros)) / 2
        d_loss.backward()
        opt_d.step()
        return d_loss.detach(), g_loss.detach()

    def logs(self) -> dict[str, torch.Tensor]:
        return self.rounds.stacked()

    @property
    def networks(self) -> dict[str, nn.Module]:
        return {"generator": self.g, "discriminator": self.d}
