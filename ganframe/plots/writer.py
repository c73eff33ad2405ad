"""The lifecycle plugin that draws a run's figures (``logging.plots``, on by default).

During training it takes snapshots (``ganframe.snapshots``) at about ``logging.snapshots`` steps:
for one real number per example, the mean and spread of G's output on fixed noise
(``plots/moments.jsonl``); for images, a grid from fixed noise (``plots/progress/``). At the end of
training it calls the ``draw_figures`` hook, which ganframe's own figures (``ganframe.plots.figures``)
and any plugin's implement, each on its own: a figure that fails is a warning, never a failed run.

The writer's methods import what needs PyTorch (snapshots, image grids) when they run, so that
loading this plugin, as ``ganframe list`` does, imports no PyTorch.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..hookimpl import hookimpl
from ..plugins import call_each
from ..rundir import write_atomically
from .files import plots_dir

if TYPE_CHECKING:
    import torch

    from .. import snapshots
    from ..experiment import Experiment

log = logging.getLogger("ganframe")

MOMENTS = "moments.jsonl"  # 1-D snapshots: {"step", "mean", "std", "n"} per line
MOMENT_SAMPLES = 1000
IMAGE_GRID = 64  # 8 x 8; a conditional run shows 10 of each class, one class per column


def data_kind(samples: torch.Tensor) -> str | None:
    """ "1-d", "discrete", "2-d", "images" or None (no data figure), from data-space samples."""
    shape = tuple(samples.shape[1:])
    size = samples[0].numel() if len(samples) else 0
    if len(shape) == 3 and shape[0] in (1, 3):
        return "images"
    if size == 1:
        return "1-d" if samples.is_floating_point() else "discrete"
    if size == 2 and samples.is_floating_point():
        return "2-d"
    return None


@hookimpl
def fit_callbacks(experiment: Experiment, run_dir: Path | None) -> PlotWriter | None:
    if run_dir is None or not experiment.config.logging.plots or not experiment.distributed.is_main:
        return None
    return PlotWriter(run_dir, experiment)


class PlotWriter:
    """Draws ``RUN_DIR/plots`` for one fit."""

    def __init__(self, directory: Path, experiment: Experiment) -> None:
        self.directory = Path(directory)
        self.experiment = experiment
        self.kind: str | None = None
        self.fixed: snapshots.FixedNoise | None = None
        self.steps: set[int] = set()
        self.last_snapshot: int | None = None

    @hookimpl
    def on_experiment_start(self, step: int) -> None:
        from .. import snapshots
        from . import images

        experiment = self.experiment
        try:
            kind = data_kind(snapshots.FixedNoise(experiment, 1).samples())
            self.kind = kind
            size = None if kind is None else {"images": self.grid_size(experiment), "1-d": MOMENT_SAMPLES}.get(kind)
            self.fixed = snapshots.FixedNoise(experiment, size) if size else None
        except Exception as exc:  # no data figures, but training goes on
            log.warning("figures cannot sample the generator: %s: %s", type(exc).__name__, exc)
            self.kind, self.fixed = None, None
        self.steps = snapshots.schedule(experiment)
        plots_dir(self.directory).mkdir(parents=True, exist_ok=True)
        if self.kind == "1-d":  # resumed: the rows beyond the checkpoint belong to a future redone now
            kept = [row for row in read_moments(self.directory) if row["step"] <= step]
            text = "".join(json.dumps(row) + "\n" for row in kept).encode()
            write_atomically(plots_dir(self.directory) / MOMENTS, lambda handle: handle.write(text))
        images.drop_frames_after(self.directory, step)
        if step == 0:
            self.snapshot(0)

    @hookimpl(trylast=True)  # G as the round left it, after every plugin's own end of round
    def on_step_end(self, step: int) -> None:
        if step in self.steps:
            self.snapshot(step)

    @hookimpl
    def on_experiment_end(self, step: int) -> None:
        from .samples import RunSamples

        if self.last_snapshot != step:  # stopped early, or resumed with more steps
            self.snapshot(step)
        call_each(
            self.experiment.hooks,
            "draw_figures",
            experiment=self.experiment,
            run_dir=self.directory,
            samples=RunSamples(self.experiment),
        )
        log.info("figures written to %s", plots_dir(self.directory))

    def snapshot(self, step: int) -> None:
        """Record G's output on the fixed noise: the moments (1-D) or a grid (images)."""
        from . import images

        if self.fixed is None:
            return
        self.last_snapshot = step
        try:
            samples = self.fixed.samples()
            if self.kind == "1-d":
                values = samples.double().reshape(-1)
                row = {"step": step, "mean": float(values.mean()), "std": float(values.std()), "n": len(values)}
                with (plots_dir(self.directory) / MOMENTS).open("a") as handle:
                    handle.write(json.dumps(row) + "\n")
            else:
                images.write_frame(self.directory, step, samples, self.columns(self.experiment))
        except Exception as exc:  # a figure is never worth a failed run
            log.warning("figure snapshot at step %d failed: %s: %s", step, type(exc).__name__, exc)

    @staticmethod
    def grid_size(experiment: Experiment) -> int:
        classes = experiment.classes
        return classes * 10 if classes is not None and classes <= 20 else IMAGE_GRID

    @staticmethod
    def columns(experiment: Experiment) -> int:
        classes = experiment.classes
        return classes if classes is not None and classes <= 20 else 8


def read_moments(run_dir: Path) -> list[dict[str, Any]]:
    """The 1-D snapshot rows of ``plots/moments.jsonl``; a line cut short by a crash is left out."""
    path = plots_dir(run_dir) / MOMENTS
    rows = []
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                row = json.loads(line)
                rows.append(
                    {
                        "step": int(row["step"]),
                        "mean": float(row["mean"]),
                        "std": float(row["std"]),
                        "n": int(row.get("n", 0)),
                    }
                )
            except (ValueError, KeyError, TypeError):
                continue
    return rows
