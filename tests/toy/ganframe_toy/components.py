"""The toy plugin's data sources and strategy (imported when one is built)."""

from __future__ import annotations

import scipy.stats
import torch

import ganframe
from ganframe.components import Trainer, discriminator_output
from ganframe.data import stream_seed

POINTS_STREAM = 300  # the random stream of toy-2d's points, derived from the experiment's seed


class Normal1D(ganframe.Distribution):
    """N(mean, std²), one feature per example."""

    sample_shape = (1,)

    def __init__(self, mean: float, std: float) -> None:
        self.mean, self.std = mean, std

    def sample(self, n: int, *, generator: torch.Generator, device: torch.device) -> torch.Tensor:
        return torch.randn(n, 1, generator=generator, device=device) * self.std + self.mean  # (n, 1)

    @property
    def reference_distribution(self):
        return scipy.stats.norm(self.mean, self.std)


class Points2D(ganframe.Dataset):
    """``size`` points of X = Z·A + b, Z ~ N(0, I), drawn once from the seed."""

    sample_shape = (2,)

    def __init__(self, A, b, size: int, seed: int) -> None:
        generator = torch.Generator().manual_seed(stream_seed(seed, POINTS_STREAM))
        z = torch.randn(size, 2, generator=generator, dtype=torch.float64)  # (size, 2)
        self.points = (z @ torch.tensor(A, dtype=torch.float64) + torch.tensor(b, dtype=torch.float64)).float()

    def __len__(self) -> int:
        return self.points.shape[0]

    def get(self, indices: torch.Tensor) -> torch.Tensor:
        return self.points[indices]  # (len(indices), 2)


class Counts(ganframe.Distribution):
    """Uniform integers in [0, max_int); one float per example in model space."""

    sample_shape = (1,)
    discrete = True

    def __init__(self, max_int: int) -> None:
        self.max_int = max_int

    def sample(self, n: int, *, generator: torch.Generator, device: torch.device) -> torch.Tensor:
        return torch.randint(0, self.max_int, (n, 1), generator=generator, device=device).float()  # (n, 1)

    def to_data_space(self, x: torch.Tensor) -> torch.Tensor:
        return x.round().clamp(0, self.max_int - 1).long()  # (n, 1) int64


class Scale(torch.nn.Module):
    """A network whose output is multiplied by ``factor``."""

    def __init__(self, inner: torch.nn.Module, factor: float) -> None:
        super().__init__()
        self.inner, self.factor = inner, factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x) * self.factor

    @classmethod
    def wrapper(cls, factor: float):
        return lambda network: cls(network, factor)


class Judged:
    """One D update, then one G update on fresh noise, logging D's accuracy on the real and the fake
    batch as it stands before its update (judged in evaluation mode, without gradients)."""

    def train_round(self, trainer: Trainer) -> dict[str, torch.Tensor]:
        real, fake = trainer.real_batch(), trainer.generate(grad=False)
        accuracy = self.accuracy(trainer.discriminator, real, fake)
        d_loss = trainer.discriminator_step(real, fake)
        g_loss = trainer.generator_step(trainer.generate())
        return {"d_loss": d_loss, "g_loss": g_loss, "d_accuracy": accuracy}

    @staticmethod
    @torch.no_grad()
    def accuracy(discriminator: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        threshold = 0.5 if discriminator_output(discriminator) == "probabilities" else 0.0
        was_training = discriminator.training
        discriminator.eval()
        try:
            right = torch.cat(
                [discriminator(real).reshape(-1) > threshold, discriminator(fake).reshape(-1) <= threshold]
            )
        finally:
            discriminator.train(was_training)
        return right.float().mean()
