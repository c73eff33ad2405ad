"""Looks at the generator during training, from the same fixed noise every time.

Figures (``ganframe.plots``) and TensorBoard (``ganframe.tensorboard``) show how the generator's
output changes over training: the same noise vectors becoming digits, the 1-D mean and standard
deviation approaching the target. Both take their snapshots here, at the same steps.

A snapshot changes nothing in training: the fixed noise comes from a random stream of its own,
the generator runs in evaluation mode without gradients, and no training generator is touched.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch

from .data import stream_seed

if TYPE_CHECKING:
    from .experiment import Experiment

SNAPSHOT_STREAM = 6  # next to the experiment's own streams (ganframe.experiment)


def snapshot_steps(total_steps: int, rounds_per_epoch: int | None, count: int) -> set[int]:
    """The steps after which to take a snapshot: about ``count`` of them, plus 0 and ``total_steps``.

    On a finite data set (``rounds_per_epoch`` known) they fall on epoch ends, every epoch when
    there are at most ``count`` epochs, else every k-th; otherwise they are evenly spaced.
    """
    steps = {0, total_steps}
    # More snapshots than steps is a snapshot after every step: never loop past the steps there are.
    count = max(1, min(count, total_steps))
    if rounds_per_epoch:
        epochs = total_steps // rounds_per_epoch
        every = max(1, math.ceil(epochs / count))
        steps |= {epoch * rounds_per_epoch for epoch in range(every, epochs + 1, every)}
    else:
        steps |= {round(i * total_steps / count) for i in range(1, count + 1)}
    return steps


def schedule(experiment: Experiment) -> set[int]:
    """:func:`snapshot_steps` for ``experiment``: its steps, epochs and ``logging.snapshots``."""
    config = experiment.config
    return snapshot_steps(config.train.steps, experiment.rounds_per_epoch, config.logging.snapshots)


class FixedNoise:
    """``n`` noise vectors drawn once from the experiment's seed; ``samples()`` runs G on them.

    In a conditional experiment the classes go round in order (0, 1, ..., classes - 1, 0, ...), so a
    grid with one column per class shows every class in its own column.
    """

    def __init__(self, experiment: Experiment, n: int) -> None:
        self.experiment = experiment
        generator = torch.Generator(device=experiment.device).manual_seed(
            stream_seed(experiment.config.seed, SNAPSHOT_STREAM)
        )
        if experiment.classes is None:
            self.z = experiment.noise.sample(n, generator=generator, device=experiment.device)
        else:
            labels = torch.arange(n, device=experiment.device) % experiment.classes
            self.z = experiment.noise.sample(n, generator=generator, device=experiment.device, labels=labels)

    def __len__(self) -> int:
        return self.z.shape[0]

    def samples(self) -> torch.Tensor:
        """G's output on the fixed noise, in data space, on the CPU."""
        return self.experiment.generate(self.z)
