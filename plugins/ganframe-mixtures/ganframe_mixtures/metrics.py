"""The ``mixture-modes`` metric: how many of a mixture's modes a generator covers, and how well.

The scores of the Unrolled GAN, VEEGAN and PacGAN papers, on the ``ring`` and ``grid`` data (any
data source with ``means``, a ``(modes, 2)`` tensor, and ``std``). Each sample belongs to its
nearest mode (Euclidean distance); it is *high quality* when it lies within 3 std of that mode's
mean. Samples with a NaN or infinite coordinate are never high quality.

* ``high_quality``: the share of all samples that are high quality. Real data scores
  P(χ₂ ≤ 3) = 1 − exp(−9/2) ≈ 0.989, not the 0.997 of "3 sigma" in one dimension.
* ``modes``: how many modes are covered; a mode is covered when at least 1 % of *all* samples are
  high-quality samples whose nearest mode it is.
* ``reverse_kl``: KL(p ‖ U) in nats, where p is the distribution of the high-quality samples over
  their nearest modes (their counts, normalised) and U is uniform over the K modes:
  Σ_k p_k log(p_k · K), with 0 log 0 = 0. It is 0 when every mode gets the same share, log K
  (2.08 for 8 modes, 3.22 for 25) when one mode takes every high-quality sample, and NaN when
  there is no high-quality sample. From the true distribution, N high-quality samples score
  about (K − 1) / (2N) rather than 0: 0.005 for the grid at 2,500 samples.
* ``modes_total``: K, the number of modes of the data, so a report reads "8 of 8".

The metric scores however many samples ganframe's ``evaluation.samples`` gives (10,000 unless
set). The papers use 2,500: set ``evaluation.samples = 2500`` to compare with their tables. The
1 % threshold of ``modes`` scales with the number of samples, but the sampling bias of
``reverse_kl`` shrinks as it grows, so values at other sample counts are not directly comparable.
"""

from __future__ import annotations

import math

import torch

from ganframe import ConfigError

NAME = "mixture-modes"
QUALITY_STDS = 3.0  # a high-quality sample lies within this many std of its nearest mode's mean
COVERED_PERCENT = 1  # a mode is covered by at least this per cent of all samples (high-quality ones)


def mixture_of(data: object) -> tuple[torch.Tensor, float]:
    """The data's mode means ``(K, 2)`` (float64, CPU) and std; a ConfigError for other data sources."""
    means, std = getattr(data, "means", None), getattr(data, "std", None)
    if not isinstance(means, torch.Tensor) or std is None:
        raise ConfigError(
            f"metric {NAME!r} needs the 'ring' or 'grid' data source (modes with known "
            f"means and std), not {type(data).__name__}"
        )
    return means.detach().to("cpu", torch.float64), float(std)


def nearest_modes(samples: torch.Tensor, means: torch.Tensor, std: float) -> tuple[torch.Tensor, torch.Tensor]:
    """For ``(n, 2)`` samples: the index of each one's nearest mode ``(n,)`` and whether it is high
    quality ``(n,)``, within ``QUALITY_STDS`` std of that mode (never for a NaN or infinite sample)."""
    x = samples.to("cpu", torch.float64)  # (n, 2)
    finite = torch.isfinite(x).all(dim=1)  # (n,)
    x = torch.where(finite[:, None], x, torch.zeros_like(x))  # placeholders, never high quality below
    distances = torch.cdist(x, means, compute_mode="donot_use_mm_for_euclid_dist")  # (n, K), exact
    nearest_distance, nearest = distances.min(dim=1)  # (n,), (n,)
    return nearest, finite & (nearest_distance <= QUALITY_STDS * std)


def mixture_modes(samples: torch.Tensor, context) -> dict[str, float]:
    """``high_quality``, ``modes``, ``reverse_kl`` and ``modes_total`` of ``(n, 2)`` samples (see module docs)."""
    means, std = mixture_of(context.data)  # (K, 2)
    k = means.shape[0]
    n = samples.shape[0] if samples.dim() else 0
    if n == 0 or samples[0].numel() != means.shape[1]:
        raise ConfigError(
            f"metric {NAME!r} needs at least one sample of {means.shape[1]} values, "
            f"got samples of shape {tuple(samples.shape)}"
        )
    nearest, good = nearest_modes(samples.detach().reshape(n, -1), means, std)  # (n,), (n,)
    counts = torch.bincount(nearest[good], minlength=k)  # (K,): high-quality samples per mode
    covered = counts * 100 >= COVERED_PERCENT * n  # (K,): integers, no rounding at the threshold
    total = int(counts.sum())
    if total:
        p = counts[counts > 0].double() / total  # 0 log 0 = 0: modes without samples add nothing
        reverse_kl = max(float((p * torch.log(p * k)).sum()), 0.0)  # >= 0 but for rounding
    else:
        reverse_kl = math.nan
    return {
        "high_quality": total / n,
        "modes": float(covered.sum()),
        "reverse_kl": reverse_kl,
        "modes_total": float(k),
    }


def make_mixture_modes(config: None, context):
    """The metric; checks the data source now, so another one fails before training, not after."""
    mixture_of(context.data)
    return mixture_modes
