"""What the hand-written loops share: seeds, one CPU thread, Adam, learning-rate decay, the round clock.

Plain PyTorch and NumPy only; no ganframe import.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import numpy as np
import torch
from torch import nn

# The random streams ganframe derives from an experiment's seed (ganframe.experiment and
# ganframe.data number them so); the loops draw from the same streams, so one seed gives the same
# weights and batches in both.
INIT, NOISE, DATA = 0, 1, 2
EPOCH_ORDER = 100  # a finite data set's order in epoch e: randperm seeded by stream_seed(seed, 100, e)


def stream_seed(seed: int, *keys: int) -> int:
    """A 63-bit seed for one random stream of ``seed`` (NumPy's SeedSequence, as ganframe derives them)."""
    state = np.random.SeedSequence([seed, *keys]).generate_state(2, dtype=np.uint32)
    return int(state[0]) << 31 | int(state[1]) >> 1


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """PyTorch on one CPU thread inside the block (the presets' ``train.threads = 1``), then as before."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def init_seed(seed: int) -> Iterator[None]:
    """Build networks from the experiment's initialisation stream without touching the caller's random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(stream_seed(seed, INIT))
        yield


def adam(module: nn.Module, lr: float, betas: tuple[float, float]) -> torch.optim.Adam:
    """Adam with PyTorch's fused CPU kernel (one kernel for all parameters: the fastest on a CPU)."""
    return torch.optim.Adam(module.parameters(), lr=lr, betas=betas, eps=1e-8, fused=True)


class LinearDecay:
    """Learning rates falling linearly to zero by the last round (``train.lr_decay = "linear"``).

    After round ``k`` of ``total`` each rate is ``base · (1 − k/total)``: the value PyTorch's
    ``LambdaLR`` computes, set directly in the parameter groups.
    """

    def __init__(self, optimizers: list[torch.optim.Optimizer], total: int) -> None:
        self.groups = [(group, group["lr"]) for optimizer in optimizers for group in optimizer.param_groups]
        self.total = total

    def after(self, step: int) -> None:
        factor = 1.0 - min(step / self.total, 1.0)
        for group, base in self.groups:
            group["lr"] = base * factor


class Rounds:
    """Per-round values kept as detached 0-dim tensors (read once, after training: no sync per round)."""

    def __init__(self, *names: str) -> None:
        self.values: dict[str, list[torch.Tensor]] = {name: [] for name in names}

    def stacked(self) -> dict[str, torch.Tensor]:
        return {name: torch.stack(values) if values else torch.empty(0) for name, values in self.values.items()}


class Clock:
    """Seconds spent in the training rounds over every ``train()`` call: wall clock (``seconds``) and
    this process's CPU time (``cpu_seconds``, which other work on a shared machine disturbs less)."""

    def __init__(self) -> None:
        self.seconds = self.cpu_seconds = 0.0
        self._started = self._cpu_started = 0.0

    def __enter__(self) -> Clock:
        self._started, self._cpu_started = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds += time.perf_counter() - self._started
        self.cpu_seconds += time.process_time() - self._cpu_started
