"""The samples a run's figures compare: generated and real, drawn once when first asked for."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import torch

from ..data import stream_seed
from ..snapshots import SNAPSHOT_STREAM

if TYPE_CHECKING:
    from ..experiment import Experiment

FIGURE_SAMPLES = 10_000


class RunSamples:
    """``generated`` and ``real``: ``FIGURE_SAMPLES`` examples each, in data space, on the CPU.

    Both are drawn on first use and shared by every figure: generated ones as ``ganframe sample``
    draws them (the run's sampling seed), real ones from a stream of the figures' own. Drawing
    them changes nothing in training.
    """

    def __init__(self, experiment: Experiment, n: int = FIGURE_SAMPLES) -> None:
        self.experiment = experiment
        self.n = n

    @cached_property
    def generated(self) -> torch.Tensor:
        return self.experiment.sample(self.n)

    @cached_property
    def real(self) -> torch.Tensor:
        stream = torch.Generator().manual_seed(stream_seed(self.experiment.config.seed, SNAPSHOT_STREAM, 1))
        return self.experiment.data.reference_samples(self.n, stream)
