"""The metrics ``even-fraction``, ``even-coverage`` and ``even-kl`` (see the package's docstring)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch

from ganframe import ConfigError

if TYPE_CHECKING:
    from .data import EvenNumbers


def _integers(samples: torch.Tensor, metric: str) -> torch.Tensor:
    """Data-space samples as a 1-D int64 tensor; a clear error for anything else."""
    if samples.dim() == 0 or samples.is_floating_point() or (samples.shape[0] and samples[0].numel() != 1):
        raise ConfigError(
            f"metric {metric!r} needs integer samples with one value each, "
            f"got {samples.dtype} of shape {tuple(samples.shape)}"
        )
    return samples.reshape(-1).long().cpu()


def _even_values(samples: torch.Tensor, data: EvenNumbers, metric: str) -> torch.Tensor:
    """The samples that are even integers in [0, max_int)."""
    x = _integers(samples, metric)
    return x[(x % 2 == 0) & (x >= 0) & (x < data.max_int)]


def even_fraction(samples, context) -> dict[str, float]:
    """Share of samples that are even integers in [0, max_int): 1.0 when every sample is valid."""
    total = _integers(samples, "even-fraction").numel()
    return {"even_fraction": _even_values(samples, context.data, "even-fraction").numel() / total}


def even_coverage(samples, context) -> dict[str, float]:
    """How many of the max_int/2 even values appear at least once among the samples."""
    return {"coverage": float(torch.unique(_even_values(samples, context.data, "even-coverage")).numel())}


def even_kl(samples, context) -> dict[str, float]:
    """KL(p̂ ‖ uniform over the even values), in nats, over the even samples only (see module docs)."""
    even = _even_values(samples, context.data, "even-kl")
    if even.numel() == 0:
        return {"kl_uniform": math.nan}
    _, counts = torch.unique(even, return_counts=True)  # only values that occur: 0 log 0 = 0
    p = counts.double() / even.numel()
    return {"kl_uniform": float((p * torch.log(p * context.data.values)).sum())}
