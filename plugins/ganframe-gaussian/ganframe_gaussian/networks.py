"""The ``batch-mlp`` discriminator: it judges a whole batch as one example (Nag's article)."""

from __future__ import annotations

import torch
from torch import nn

from ganframe.config import check_parameters
from ganframe.nn import mlp, numel

from .configs import BatchMLPConfig


class BatchSquaredDeviations(nn.Module):
    """The whole batch as ONE example: ``concat(x, (x - mean)²)`` with the mean taken without gradient.

    The article's preprocessing: D judges a batch at once, so the spread of the batch is visible to
    it. ``(B, *shape)`` → ``(1, 2·B·prod(shape))``.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(1, -1)  # (1, B·d)
        mean = flat.detach().mean(dim=1, keepdim=True)
        return torch.cat([flat, (flat - mean) ** 2], dim=1)

    @staticmethod
    def features(batch_size: int, sample_size: int) -> int:
        return 2 * batch_size * sample_size


class BatchMoments(nn.Module):
    """The whole batch as ONE example: per feature its mean, std, skew and excess kurtosis.

    The repository's later "more stable" version. Differentiable; population std; skew = mean(z³),
    excess kurtosis = mean(z⁴) − 3. ``(B, *shape)`` → ``(1, 4·prod(shape))``.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(x.shape[0], -1)  # (B, d)
        mean = flat.mean(dim=0)
        centred = flat - mean
        std = centred.pow(2).mean(dim=0).sqrt()
        z = centred / std.clamp_min(1e-12)
        skew = z.pow(3).mean(dim=0)
        kurtosis = z.pow(4).mean(dim=0) - 3.0
        return torch.cat([mean, std, skew, kurtosis]).unsqueeze(0)  # (1, 4·d)

    @staticmethod
    def features(batch_size: int, sample_size: int) -> int:
        return 4 * sample_size


BATCH_FEATURES: dict[str, type[BatchSquaredDeviations | BatchMoments]] = {
    "squared-deviations": BatchSquaredDeviations,
    "moments": BatchMoments,
}


class BatchMLP(nn.Module):
    """Judges the whole batch it is given as one example, so it sees the batch's spread."""

    def __init__(self, config: BatchMLPConfig, sample_shape: tuple[int, ...], batch_size: int) -> None:
        super().__init__()
        self.output = config.output
        self.batch_size = batch_size
        self.kind = config.features
        feature_class = BATCH_FEATURES[config.features]
        self.features = feature_class()
        sizes = [feature_class.features(batch_size, numel(sample_shape)), *config.hidden, 1]
        check_parameters(sizes, "discriminator")
        self.net = mlp(
            sizes,
            hidden_activation=config.activation,
            negative_slope=config.negative_slope,
            output_activation="sigmoid" if config.output == "probabilities" else "none",
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "squared-deviations" and x.shape[0] != self.batch_size:
            raise ValueError(
                f"this discriminator judges whole batches of {self.batch_size}; got a batch of {x.shape[0]}"
            )
        return self.net(self.features(x))  # (1, 1): one score for the batch
