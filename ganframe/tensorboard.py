"""TensorBoard logging (``logging.tensorboard = true``; needs ``pip install 'ganframe[tensorboard]'``).

Writes ``RUN_DIR/tensorboard``: the logged losses (``train/``, means over ``train.log_every``
rounds, as in metrics.jsonl), per-epoch means (``epoch/``), metrics (``metrics/``), the config as
text, and at every snapshot (``ganframe.snapshots``) a histogram of each generated dimension for
low-dimensional data or a grid of generated images. Look at it with ``tensorboard --logdir runs``.
Only the main process writes, so in a multi-process run the losses are the main process's own.
The writer imports PyTorch and TensorBoard when a run makes one, not when the plugin is loaded.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError
from .hookimpl import hookimpl
from .runs import RunningMeans

if TYPE_CHECKING:
    from . import snapshots
    from .experiment import Experiment

log = logging.getLogger("ganframe")

TENSORBOARD = "tensorboard"
MAX_HISTOGRAM_DIMS = 16  # data with more numbers per example gets no histograms (images get grids)
HISTOGRAM_SAMPLES = 1000
IMAGE_SAMPLES = 64


@hookimpl
def fit_callbacks(experiment: Experiment, run_dir: Path | None) -> TensorBoardWriter | None:
    if not experiment.config.logging.tensorboard or not experiment.distributed.is_main:
        return None
    if run_dir is None:
        log.warning("logging.tensorboard is on, but fit() has no run directory to write to")
        return None
    return TensorBoardWriter(run_dir, experiment)  # fails here, before any file, without TensorBoard


class TensorBoardWriter:
    """A lifecycle plugin writing one run's TensorBoard event files."""

    def __init__(self, directory: Path, experiment: Experiment) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise ConfigError(
                "logging.tensorboard needs TensorBoard: pip install 'ganframe[tensorboard]' "
                "(or set logging.tensorboard = false)"
            ) from None
        self._summary_writer = SummaryWriter
        self.directory = Path(directory) / TENSORBOARD
        self.experiment = experiment
        self.writer: Any = None  # a torch.utils.tensorboard.SummaryWriter while a fit runs
        self.means = RunningMeans()
        self.fixed: snapshots.FixedNoise | None = None
        self.images = False
        self.steps: set[int] = set()

    @hookimpl
    def on_experiment_start(self, step: int) -> None:
        from . import snapshots
        from .plots.writer import data_kind

        experiment = self.experiment
        # purge_step: a resumed run drops what an earlier process wrote beyond the checkpoint
        self.writer = self._summary_writer(log_dir=str(self.directory), purge_step=step or None)
        probe = snapshots.FixedNoise(experiment, 1).samples()
        self.images = data_kind(probe) == "images"
        if self.images:
            self.fixed = snapshots.FixedNoise(experiment, IMAGE_SAMPLES)
        elif probe[0].numel() <= MAX_HISTOGRAM_DIMS:
            self.fixed = snapshots.FixedNoise(experiment, HISTOGRAM_SAMPLES)
        self.steps = snapshots.schedule(experiment)
        if step == 0:
            self.writer.add_text("config", "```\n" + experiment.config.to_toml() + "\n```", 0)
            self.snapshot(0)

    @hookimpl(trylast=True)  # G as the round left it, after every plugin's own end of round
    def on_step_end(self, step: int, logs) -> None:
        self.means.add(logs)
        if step % self.experiment.config.train.log_every == 0 or step == self.experiment.config.train.steps:
            self._flush(step)
        if step in self.steps:
            self.snapshot(step)

    @hookimpl
    def on_epoch_end(self, epoch: int, logs) -> None:
        for key, value in logs.items():
            self.writer.add_scalar(f"epoch/{key}", value, epoch)

    @hookimpl
    def on_evaluation(self, step: int, metrics) -> None:
        for key, value in metrics.items():
            self.writer.add_scalar(f"metrics/{key}", value, step)

    @hookimpl
    def on_experiment_end(self, step: int) -> None:
        self._flush(step)
        if step not in self.steps:
            self.snapshot(step)
        self.close()

    @hookimpl
    def on_exception(self) -> None:
        self.close()

    def snapshot(self, step: int) -> None:
        """Histograms of each generated dimension, or a grid of generated images."""
        import torch

        if self.fixed is None or self.writer is None:
            return
        samples = self.fixed.samples()
        if self.images:
            from .plots.images import tile

            self.writer.add_image("samples", tile(samples, columns=8), step)
            return
        flat = samples.reshape(len(samples), -1).double()
        for dim in range(flat.shape[1]):
            values = flat[:, dim]
            self.writer.add_histogram(f"samples/dim{dim}", values[torch.isfinite(values)], step)

    def _flush(self, step: int) -> None:
        for key, value in self.means.take().items():
            self.writer.add_scalar(f"train/{key}", float(value), step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
