"""The ``mnist`` setup (handwritten digits) as a plain PyTorch loop, presets ``default`` and ``tutorial``.

Data: the 60,000 training images (a uint8 tensor (N, 28, 28) that the caller passes in, in the
file's order: :func:`load_images` reads it), scaled once to [-1, 1] as ``ToTensor`` then
``Normalize(0.5, 0.5)`` give, reshuffled every epoch (a permutation seeded per epoch, as ganframe
orders a finite data set), the last incomplete batch dropped.

``default``: normal noise (100-D) → G 100-128 (LeakyReLU 0.2) → 256 → BatchNorm → LeakyReLU → 512 →
BatchNorm → LeakyReLU → 784, Tanh; D 784-512-256 (LeakyReLU 0.2) → the minibatch standard deviation
appended → 257-1 logits (ganframe's ``minibatch-std`` extra: the 256-1 layer widened, its weights
kept and the new input's weight 0); non-saturating BCE (terms summed); Adam G 4e-4, D 1.6e-3, betas (0.5,
0.999); batch 64 (937 rounds an epoch), 20 epochs; each round one D step (real batch, fresh noise,
G in training mode without a graph) then one G step (fresh noise), then the moving average of G's
weights (decay 0.999; batch-norm statistics copied) that samples and metrics use.

``tutorial`` (Loy's article): G 100-256-512-1024-784 (LeakyReLU 0.01, Tanh); D 784-1024-512-256-1
(LeakyReLU 0.01, Sigmoid); BCE on probabilities, D's terms summed; Adam 2e-4, betas (0.9, 0.999);
batch 128 (468 rounds an epoch), 100 epochs; each round one G step first, then one D step on a real
batch and fresh noise.
"""

from __future__ import annotations

import copy
import gzip
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._common import EPOCH_ORDER, NOISE, Clock, Rounds, adam, generator, init_seed, one_thread, stream_seed

PRESETS = {
    "default": {"batch": 64, "g_lr": 4e-4, "d_lr": 1.6e-3, "betas": (0.5, 0.999), "epochs": 20, "ema": 0.999},
    "tutorial": {"batch": 128, "g_lr": 2e-4, "d_lr": 2e-4, "betas": (0.9, 0.999), "epochs": 100, "ema": None},
}
NOISE_DIM = 100


def load_images(folder: str | Path) -> torch.Tensor:
    """The training images (N, 28, 28) uint8 from MNIST's raw IDX file (``train-images-idx3-ubyte``,
    plain or ``.gz``) in ``folder``, ``folder/raw`` or ``folder/MNIST/raw``."""
    folder = Path(folder)
    for where in (folder, folder / "raw", folder / "MNIST" / "raw"):
        for name in ("train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"):
            path = where / name
            if path.is_file():
                raw = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
                count, rows, cols = (int.from_bytes(raw[i : i + 4], "big") for i in (4, 8, 12))
                return torch.from_numpy(
                    np.frombuffer(raw, np.uint8, count * rows * cols, 16).reshape(count, rows, cols).copy()
                )
    raise FileNotFoundError(f"no train-images-idx3-ubyte[.gz] in {str(folder)!r}")


class MinibatchStd(nn.Module):
    """``(N, A)`` → ``(N, A + 1)``: the mean over features of their standard deviation over the batch, appended."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        spread = x.std(dim=0, unbiased=False).mean()
        return torch.cat([x, spread.expand(len(x), 1)], dim=1)


def networks(preset: str) -> tuple[nn.Module, nn.Module]:
    if preset == "default":
        g = nn.Sequential(
            nn.Linear(100, 128),
            nn.LeakyReLU(0.2),
            nn.Linear(128, 256),
            nn.BatchNorm1d(256),
            nn.LeakyReLU(0.2),
            nn.Linear(256, 512),
            nn.BatchNorm1d(512),
            nn.LeakyReLU(0.2),
            nn.Linear(512, 784),
            nn.Tanh(),
        )
        body = [nn.Linear(784, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256), nn.LeakyReLU(0.2)]
        head = nn.Linear(256, 1)
        wide = nn.Linear(257, 1)  # drawn, as the extra's widened layer is, then set from head:
        with torch.no_grad():
            wide.weight.zero_()  # the std input starts with weight 0
            wide.weight[:, :256] = head.weight
            wide.bias.copy_(head.bias)
        return g, nn.Sequential(*body, MinibatchStd(), wide)
    g = nn.Sequential(
        nn.Linear(100, 256),
        nn.LeakyReLU(0.01),
        nn.Linear(256, 512),
        nn.LeakyReLU(0.01),
        nn.Linear(512, 1024),
        nn.LeakyReLU(0.01),
        nn.Linear(1024, 784),
        nn.Tanh(),
    )
    d = nn.Sequential(
        nn.Linear(784, 1024),
        nn.LeakyReLU(0.01),
        nn.Linear(1024, 512),
        nn.LeakyReLU(0.01),
        nn.Linear(512, 256),
        nn.LeakyReLU(0.01),
        nn.Linear(256, 1),
        nn.Sigmoid(),
    )
    return g, d


class Averaged(nn.Module):
    """A generator and the moving average of its weights (``inner``, ``average``: the names and
    order of ganframe's ``ema`` extra, so that the two runs' weights compare one to one)."""

    def __init__(self, inner: nn.Module, decay: float) -> None:
        super().__init__()
        self.inner, self.decay = inner, decay
        self.average = copy.deepcopy(inner).requires_grad_(False)

    @torch.no_grad()
    def update(self) -> None:
        for average, live in zip(self.average.parameters(), self.inner.parameters()):
            average.lerp_(live, 1.0 - self.decay)
        for average, live in zip(self.average.buffers(), self.inner.buffers()):
            average.copy_(live)


class Loop:
    """One run of a preset: networks, optimisers and random streams as ganframe builds them for ``seed``."""

    def __init__(
        self, preset: str = "default", seed: int = 0, total_steps: int | None = None, *, images: torch.Tensor
    ) -> None:
        self.preset, p = preset, PRESETS[preset]
        self.batch, self.seed = p["batch"], seed
        self.data = ((images.float() / 255 - 0.5) / 0.5).reshape(len(images), 784)  # [-1, 1], flattened once
        self.per_epoch = len(images) // self.batch
        self.total = total_steps or p["epochs"] * self.per_epoch
        with init_seed(seed):
            self.g, self.d = networks(preset)
        self.averaged = Averaged(self.g, p["ema"]) if p["ema"] is not None else None
        self.opt_g, self.opt_d = adam(self.g, p["g_lr"], p["betas"]), adam(self.d, p["d_lr"], p["betas"])
        self.noise = generator(stream_seed(seed, NOISE, 0))
        self.step = 0
        self.order = torch.empty(0, dtype=torch.int64)
        self.rounds = Rounds("d_loss", "g_loss")
        self.clock = Clock()

    def train(self, rounds: int) -> float:
        """Train ``rounds`` more rounds; returns their seconds."""
        g, d, opt_g, opt_d = self.g, self.d, self.opt_g, self.opt_d
        g_params = list(g.parameters())
        batch, per_epoch, data, noise, seed = self.batch, self.per_epoch, self.data, self.noise, self.seed
        g_first = self.preset == "tutorial"
        averaged = self.averaged
        bce = F.binary_cross_entropy if g_first else F.binary_cross_entropy_with_logits
        ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
        d_losses, g_losses = self.rounds.values["d_loss"], self.rounds.values["g_loss"]
        order = self.order
        g.train()
        d.train()
        with one_thread(), self.clock as clock:
            started = clock.seconds
            for step in range(self.step + 1, self.step + rounds + 1):
                if g_first:
                    g_loss = self._g_step(g, d, opt_g, g_params, bce, ones)
                epoch, position = divmod(step - 1, per_epoch)
                if position == 0:
                    order = torch.randperm(len(data), generator=generator(stream_seed(seed, EPOCH_ORDER, epoch)))
                real = data[order[position * batch : (position + 1) * batch]]
                with torch.no_grad():
                    fake = g(torch.randn(batch, NOISE_DIM, generator=noise))
                opt_d.zero_grad(set_to_none=True)
                d_loss = bce(d(real), ones) + bce(d(fake), zeros)
                d_loss.backward()
                opt_d.step()
                if not g_first:
                    g_loss = self._g_step(g, d, opt_g, g_params, bce, ones)
                if averaged is not None:
                    averaged.update()
                d_losses.append(d_loss.detach())
                g_losses.append(g_loss)
        self.order = order
        self.step += rounds
        return clock.seconds - started

    def _g_step(self, g, d, opt_g, g_params, bce, ones) -> torch.Tensor:
        opt_g.zero_grad(set_to_none=True)
        g_loss = bce(d(g(torch.randn(self.batch, NOISE_DIM, generator=self.noise))), ones)
        g_loss.backward(inputs=g_params)
        opt_g.step()
        return g_loss.detach()

    def logs(self) -> dict[str, torch.Tensor]:
        return self.rounds.stacked()

    @property
    def networks(self) -> dict[str, nn.Module]:
        return {"generator": self.averaged or self.g, "discriminator": self.d}
