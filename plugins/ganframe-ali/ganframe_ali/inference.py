"""Using a trained ALI model: encode examples to latents, reconstruct them as G(E(x)).

All three functions work in *model space*, the space the networks see and the data source's
``sample``/``get`` return. For most data sources (``ring``, ``grid``, any data whose
``to_data_space`` is the identity) that is also data space. Others map model space to data space
(MNIST: [-1, 1] → [0, 1]) and ganframe has no inverse map, so give such data in model space:
:func:`real_examples` draws real examples that way, and ``experiment.data.to_data_space`` takes
a reconstruction to data space.

``experiment`` is a ``ganframe.Experiment`` with an ``encoder`` role: one being trained, or one
read back from a run directory with ``ganframe.Experiment.load(RUN_DIR)``.
"""

from __future__ import annotations

import numpy as np
import torch

import ganframe

from .modes import evaluating
from .strategy import ENCODER

CHUNK = 65_536  # examples per forward pass


def real_examples(experiment, n: int, *, seed: int = 0) -> torch.Tensor:
    """``(n, *sample_shape)`` real examples in model space, on the CPU; the same seed gives the same
    examples, and no training stream is touched. A finite data set gives at most all of its examples."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ganframe.ConfigError(f"the number of examples must be a positive integer, got {n!r}")
    generator = torch.Generator().manual_seed(seed)
    data = experiment.data
    if isinstance(data, ganframe.Dataset):
        return data.get(torch.randperm(len(data), generator=generator)[:n]).cpu()
    return data.sample(n, generator=generator, device=torch.device("cpu")).cpu()


@torch.no_grad()
def encode(experiment, x, *, chunk: int = CHUNK) -> torch.Tensor:
    """The trained encoder's latents ``(N, noise_dim)`` for examples ``x`` ``(N, *sample_shape)``
    in model space (a tensor or array), on the CPU. E runs in evaluation mode, in chunks of
    ``chunk`` examples, and is put back in the mode it was in."""
    encoder = _encoder(experiment)
    x = _examples(experiment, x, encoder, chunk)
    with evaluating(encoder):
        parts = [
            encoder(x[start : start + chunk].to(experiment.device)).cpu()  # (c, noise_dim)
            for start in range(0, max(len(x), 1), chunk)
        ]
    return torch.cat(parts)


@torch.no_grad()
def reconstruct(experiment, x, *, chunk: int = CHUNK) -> torch.Tensor:
    """G(E(x)) ``(N, *sample_shape)`` in model space, on the CPU, for examples ``x`` in model space:
    how closely G undoes E. G and E run in evaluation mode, in chunks of ``chunk`` examples."""
    encoder, generator = _encoder(experiment), experiment.generator
    x = _examples(experiment, x, encoder, chunk)
    with evaluating(encoder), evaluating(generator):
        parts = [
            generator(encoder(x[start : start + chunk].to(experiment.device))).cpu()  # (c, *sample_shape)
            for start in range(0, max(len(x), 1), chunk)
        ]
    return torch.cat(parts)


def _encoder(experiment) -> torch.nn.Module:
    if ENCODER not in experiment.networks:
        raise ganframe.ConfigError(
            f"this experiment has no {ENCODER!r} network (its roles: "
            f"{', '.join(experiment.networks)}); train it with strategy 'ali' and a "
            f"[networks.{ENCODER}] section"
        )
    return experiment.networks[ENCODER]


def _examples(experiment, x, network: torch.nn.Module, chunk: int) -> torch.Tensor:
    """``x`` as a float tensor of shape ``(N, *sample_shape)``; a ConfigError for another shape or a
    chunk size that is not a positive integer."""
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ganframe.ConfigError(f"chunk must be a positive integer, got {chunk!r}")
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise ganframe.ConfigError(f"examples must be a tensor or a NumPy array, got {type(x).__name__}")
    shape = tuple(experiment.data.sample_shape)
    if tuple(x.shape[1:]) != shape or x.dim() != len(shape) + 1:
        raise ganframe.ConfigError(
            f"examples must have shape (N, {', '.join(map(str, shape))}) in model space, got {tuple(x.shape)}"
        )
    dtype = next(network.parameters(), torch.empty(0)).dtype
    return x.detach().to(dtype)
