"""The ``gaussian2d`` setup (X = N(0, I)·A + b from 1,000 fixed points) as a plain PyTorch loop, presets
``default`` and ``tutorial``.

Data: 1,000 points drawn once (float64 normals from the seed's data-set stream, ·A + b, then
float32), reshuffled every epoch (a permutation seeded per epoch, as ganframe orders a finite data
set), the last incomplete batch dropped.

``default``: normal noise (2-D) → G one linear layer 2 → 2; D 2-32-32-1 (ELU) on logits; minimax
BCE (G minimises −BCE(D(G(z)), 0)); Adam G 5e-3, D 4e-2, betas (0, 0.9); batch 500 (2 rounds an
epoch); each round one D step (real batch, fresh noise) then one G step (fresh noise), with D's
accuracy on that real and fake batch logged (``d_accuracy``, ``_real``, ``_fake``); learning rates
decaying linearly to zero over 2,000 rounds.

``tutorial`` (the MXNet "Straight Dope" notebook): the same linear G; D 2-5-3-2 (tanh), two logits,
softmax cross-entropy (label 1 real, 0 fake), D's two terms summed; all weights N(0, 0.02²), biases
zero; Adam G 1e-2, D 5e-2, betas (0.9, 0.999); batch 4 (250 rounds an epoch), 10 epochs; each round
one D step then one G step on the SAME fake batch; D's accuracy logged and averaged per epoch.

D's accuracy is read from the D step's own scores (D is judged as it stands before its update, and
a network without dropout or batch statistics scores the same in training and evaluation mode), so
it costs no extra forward pass.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._common import EPOCH_ORDER, NOISE, Clock, LinearDecay, Rounds, adam, generator, init_seed, one_thread, stream_seed

A, B = ((1.0, 2.0), (-0.1, 0.5)), (1.0, 2.0)
SIZE = 1000
DATA_SET_STREAM = 200
PRESETS = {
    "default": {"batch": 500, "steps": 2000, "g_lr": 5e-3, "d_lr": 4e-2, "betas": (0.0, 0.9), "decay": "linear"},
    "tutorial": {"batch": 4, "steps": 2500, "g_lr": 1e-2, "d_lr": 5e-2, "betas": (0.9, 0.999), "decay": None},
}
LOGS = ("d_loss", "g_loss", "d_accuracy", "d_accuracy_real", "d_accuracy_fake")


def points(seed: int, size: int = SIZE) -> torch.Tensor:
    """(size, 2) float32: the fixed training set of ``seed``."""
    z = torch.randn(size, 2, generator=generator(stream_seed(seed, DATA_SET_STREAM)), dtype=torch.float64)
    return (z @ torch.tensor(A, dtype=torch.float64) + torch.tensor(B, dtype=torch.float64)).float()


def networks(preset: str) -> tuple[nn.Module, nn.Module]:
    if preset == "default":
        return nn.Sequential(nn.Linear(2, 2)), nn.Sequential(
            nn.Linear(2, 32), nn.ELU(), nn.Linear(32, 32), nn.ELU(), nn.Linear(32, 1)
        )
    g = nn.Sequential(nn.Linear(2, 2))
    for layer in g:
        nn.init.normal_(layer.weight, 0.0, 0.02)
        nn.init.zeros_(layer.bias)
    d = nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 3), nn.Tanh(), nn.Linear(3, 2))
    for layer in d:
        if isinstance(layer, nn.Linear):
            nn.init.normal_(layer.weight, 0.0, 0.02)
            nn.init.zeros_(layer.bias)
    return g, d


class Loop:
    """One run of a preset: networks, optimisers, data and random streams as ganframe builds them for ``seed``."""

    def __init__(
        self, preset: str = "default", seed: int = 0, total_steps: int | None = None, batch: int | None = None
    ) -> None:
        """``batch`` replaces the preset's batch size (to measure overheads with negligible kernels)."""
        self.preset, p = preset, PRESETS[preset]
        self.batch, self.total, self.seed = batch or p["batch"], total_steps or p["steps"], seed
        self.points = points(seed)
        self.per_epoch = len(self.points) // self.batch
        with init_seed(seed):
            self.g, self.d = networks(preset)
        self.opt_g, self.opt_d = adam(self.g, p["g_lr"], p["betas"]), adam(self.d, p["d_lr"], p["betas"])
        self.decay = LinearDecay([self.opt_g, self.opt_d], self.total) if p["decay"] == "linear" else None
        self.noise = generator(stream_seed(seed, NOISE, 0))
        self.step = 0
        self.order = torch.empty(0, dtype=torch.int64)
        self.rounds = Rounds(*LOGS)
        self.clock = Clock()

    def train(self, rounds: int) -> float:
        """Train ``rounds`` more rounds; returns their seconds."""
        g, d, opt_g, opt_d, decay = self.g, self.d, self.opt_g, self.opt_d, self.decay
        g_params = list(g.parameters())
        batch, per_epoch, data, noise, seed = self.batch, self.per_epoch, self.points, self.noise, self.seed
        default = self.preset == "default"
        if default:  # one logit per example
            bce = F.binary_cross_entropy_with_logits
            ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
        else:  # two logits per example, classes 1 (real) and 0 (fake)
            ce = F.cross_entropy
            ones, zeros = torch.ones(batch, dtype=torch.int64), torch.zeros(batch, dtype=torch.int64)
        logs = [self.rounds.values[name] for name in LOGS]
        order = self.order
        g.train()
        d.train()
        with one_thread(), self.clock as clock:
            started = clock.seconds
            for step in range(self.step + 1, self.step + rounds + 1):
                epoch, position = divmod(step - 1, per_epoch)
                if position == 0:
                    order = torch.randperm(len(data), generator=generator(stream_seed(seed, EPOCH_ORDER, epoch)))
                real = data[order[position * batch : (position + 1) * batch]]
                if default:
                    with torch.no_grad():
                        fake = g(torch.randn(batch, 2, generator=noise))
                    opt_d.zero_grad(set_to_none=True)
                    real_scores, fake_scores = d(real), d(fake)
                    d_loss = bce(real_scores, ones) + bce(fake_scores, zeros)
                    d_loss.backward()
                    opt_d.step()

                    opt_g.zero_grad(set_to_none=True)
                    g_loss = -bce(d(g(torch.randn(batch, 2, generator=noise))), zeros)
                    g_loss.backward(inputs=g_params)
                    opt_g.step()
                    right_real, right_fake = real_scores.detach()[:, 0] > 0.0, fake_scores.detach()[:, 0] <= 0.0
                else:
                    fake = g(torch.randn(batch, 2, generator=noise))
                    opt_d.zero_grad(set_to_none=True)
                    real_scores, fake_scores = d(real), d(fake.detach())
                    d_loss = ce(real_scores, ones) + ce(fake_scores, zeros)
                    d_loss.backward()
                    opt_d.step()

                    opt_g.zero_grad(set_to_none=True)
                    g_loss = ce(d(fake), ones)
                    g_loss.backward(inputs=g_params)
                    opt_g.step()
                    right_real = real_scores.detach().argmax(dim=1) == 1
                    right_fake = fake_scores.detach().argmax(dim=1) != 1

                if decay is not None:
                    decay.after(step)
                for values, value in zip(
                    logs,
                    (
                        d_loss.detach(),
                        g_loss.detach(),
                        (right_real.sum() + right_fake.sum()) / (2 * batch),
                        right_real.float().mean(),
                        right_fake.float().mean(),
                    ),
                ):
                    values.append(value)
        self.order = order
        self.step += rounds
        return clock.seconds - started

    def logs(self) -> dict[str, torch.Tensor]:
        return self.rounds.stacked()

    def epoch_means(self) -> list[dict[str, float]]:
        """Each logged value's mean over each completed epoch (the tutorial's per-epoch D accuracy)."""
        stacked = self.logs()
        epochs = self.step // self.per_epoch
        return [
            {
                "epoch": e + 1,
                **{
                    name: float(values[e * self.per_epoch : (e + 1) * self.per_epoch].double().mean())
                    for name, values in stacked.items()
                },
            }
            for e in range(epochs)
        ]

    @property
    def networks(self) -> dict[str, nn.Module]:
        return {"generator": self.g, "discriminator": self.d}
