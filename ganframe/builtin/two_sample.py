"""The ``two-sample`` metric: are the generated samples and the real data the same distribution?

Two tests on low-dimensional data (at most 64 numbers per example), with the sample sizes used:

* the energy distance (Székely & Rizzo) between up to 1,000 generated and 1,000 real examples, with
  a permutation test (``scipy.stats.permutation_test``): the p-value is the share of 200 random
  relabellings of the pooled examples, and of the observed labelling, whose energy distance is at
  least the observed one (``energy_p_value``; small means different);
* a two-sample Kolmogorov–Smirnov test per dimension (``scipy.stats.ks_2samp``) on all generated
  examples against the real ones: the largest statistic and the smallest p-value over dimensions.

Every draw comes from the metric context's seeded generator, so the values repeat.
"""

from __future__ import annotations

import numpy as np
import scipy.stats
import torch

from ganframe.errors import ConfigError

MAX_DIMENSIONS = 64
ENERGY_EXAMPLES = 1_000  # per side: the permutation test works on the pooled distance matrix
PERMUTATIONS = 200


def _flat(samples: torch.Tensor) -> torch.Tensor:
    x = samples.reshape(len(samples), -1).double()
    if x.shape[1] > MAX_DIMENSIONS:
        raise ConfigError(
            f"metric 'two-sample' is for low-dimensional data (at most {MAX_DIMENSIONS} numbers "
            f"per example); these samples have {x.shape[1]}"
        )
    return x


def energy_statistic(distances: torch.Tensor, first: torch.Tensor) -> torch.Tensor:
    """Energy distances for the splits in ``first`` (..., N) booleans of a pooled distance matrix (N, N).

    2·mean d(X, Y) − mean d(X, X′) − mean d(Y, Y′), each mean over all pairs (diagonal included).
    """
    distances = distances.double()
    a = first.double()  # (..., N)
    b = 1.0 - a
    n_a, n_b = a.sum(-1), b.sum(-1)
    da, db = a @ distances, b @ distances  # (..., N)
    xx, yy, xy = (da * a).sum(-1), (db * b).sum(-1), (da * b).sum(-1)
    return 2 * xy / (n_a * n_b) - xx / n_a**2 - yy / n_b**2


def _split(first: np.ndarray, n: int) -> torch.Tensor:
    """The pooled places ``first`` (..., n_first) as a split: (..., n) booleans, True at those places."""
    split = np.zeros((*first.shape[:-1], n), dtype=bool)
    np.put_along_axis(split, first, True, axis=-1)
    return torch.from_numpy(split)


def energy_test(distances: torch.Tensor, n_first: int, rng: np.random.Generator):
    """Permutation test of the energy distance between the first ``n_first`` pooled examples and the
    rest (``distances`` (N, N)): scipy's, relabelling the examples' places in the pooled matrix; its
    result has the observed ``statistic`` and the ``pvalue``."""
    n = len(distances)
    return scipy.stats.permutation_test(
        (np.arange(n_first), np.arange(n_first, n)),
        lambda first, rest, axis: energy_statistic(distances, _split(first, n)).numpy(),
        vectorized=True,  # every relabelling at once: one (200, N) @ (N, N) product
        n_resamples=PERMUTATIONS,
        alternative="greater",
        rng=rng,
    )


def two_sample(samples: torch.Tensor, context) -> dict[str, float]:
    generated = _flat(samples)
    real = _flat(context.data.reference_samples(max(len(samples), ENERGY_EXAMPLES), context.generator))
    if len(generated) < 2 or len(real) < 2:
        raise ConfigError("metric 'two-sample' needs at least 2 generated and 2 real examples")
    x, y = generated[:ENERGY_EXAMPLES], real[:ENERGY_EXAMPLES]
    pooled = torch.cat([x, y])
    distances = torch.cdist(pooled, pooled)  # (N, N), Euclidean
    seed = int(torch.randint(2**63 - 1, (), generator=context.generator))  # the relabellings' stream
    energy = energy_test(distances, len(x), np.random.default_rng(seed))
    tests = [scipy.stats.ks_2samp(generated[:, j].numpy(), real[:, j].numpy()) for j in range(generated.shape[1])]
    return {
        "energy_distance": float(energy.statistic),
        "energy_p_value": float(energy.pvalue),
        "energy_n_generated": float(len(x)),
        "energy_n_real": float(len(y)),
        "ks_statistic_max": float(max(t.statistic for t in tests)),
        "ks_p_value_min": float(min(t.pvalue for t in tests)),
        "ks_n_generated": float(len(generated)),
        "ks_n_real": float(len(real)),
    }
