"""The lifecycle plugin that draws a run's figures (``logging.plots``, on by default).

What it draws depends on the data, not on the setup's name, so a setup of your own gets the same
figures: one real number per example (1-D), one integer (discrete), two real numbers (2-D), or
images (N, 1 or 3, H, W). Every run gets the losses, and D's accuracy when it is logged.

During training it takes snapshots (``ganframe.snapshots``) at about ``logging.snapshots`` steps;
at the end of training it draws every figure. A figure that fails is a warning, never a failed
run: the checkpoint is already written by then.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from .. import snapshots
from ..checkpoint import write_atomically
from ..data import stream_seed
from ..hookimpl import hookimpl
from . import discrete, images, one_d, training, two_d
from .files import plots_dir

if TYPE_CHECKING:
    from ..experiment import Experiment

log = logging.getLogger("ganframe")

MOMENTS = "moments.jsonl"  # 1-D snapshots: {"step", "mean", "std", "n"} per line
MOMENT_SAMPLES = 1000
FINAL_SAMPLES = 10_000
IMAGE_GRID = 64  # 8 x 8; a conditional run shows 10 of each class, one class per column


def data_kind(samples: torch.Tensor) -> str | None:
    """"1-d", "discrete", "2-d", "images" or None (no data figure), from data-space samples."""
    shape = tuple(samples.shape[1:])
    size = samples[0].numel() if len(samples) else 0
    if len(shape) == 3 and shape[0] in (1, 3):
        return "images"
    if size == 1:
        return "1-d" if samples.is_floating_point() else "discrete"
    if size == 2 and samples.is_floating_point():
        return "2-d"
    return None


class PlotWriter:
    """Draws ``RUN_DIR/plots`` for one experiment (only the main process makes one)."""

    def __init__(self, directory: Path, experiment: Experiment) -> None:
        self.directory = Path(directory)
        self.experiment = experiment
        self.kind: str | None = None
        self.fixed: snapshots.FixedNoise | None = None
        self.steps: set[int] = set()
        self.moments: list[dict[str, Any]] = []
        self.last_snapshot: int | None = None

    @hookimpl
    def on_experiment_start(self, step: int) -> None:
        experiment = self.experiment
        try:
            self.kind = data_kind(snapshots.FixedNoise(experiment, 1).samples())
            size = {"images": self._grid_size(), "1-d": MOMENT_SAMPLES}.get(self.kind)
            self.fixed = snapshots.FixedNoise(experiment, size) if size else None
        except Exception as exc:  # no data figures, but training goes on
            log.warning("figures cannot sample the generator: %s: %s", type(exc).__name__, exc)
            self.kind, self.fixed = None, None
        self.steps = snapshots.schedule(experiment)
        plots_dir(self.directory).mkdir(parents=True, exist_ok=True)
        if self.kind == "1-d":
            self.moments = [row for row in self._read_moments() if row["step"] <= step]  # resumed: drop the future
            text = "".join(json.dumps(row) + "\n" for row in self.moments).encode()
            write_atomically(plots_dir(self.directory) / MOMENTS, lambda handle: handle.write(text))
        images.drop_frames_after(self.directory, step)
        if step == 0:
            self.snapshot(0)

    @hookimpl
    def on_step_end(self, step: int) -> None:
        if step in self.steps:
            self.snapshot(step)

    @hookimpl
    def on_experiment_end(self, step: int) -> None:
        if self.last_snapshot != step:  # stopped early, or resumed with more steps
            self.snapshot(step)
        self.draw()

    def snapshot(self, step: int) -> None:
        """Record G's output on the fixed noise: the moments (1-D) or a grid (images)."""
        if self.fixed is None:
            return
        self.last_snapshot = step
        try:
            samples = self.fixed.samples()
            if self.kind == "1-d":
                values = samples.double().reshape(-1)
                row = {"step": step, "mean": float(values.mean()), "std": float(values.std()), "n": len(values)}
                self.moments.append(row)
                with (plots_dir(self.directory) / MOMENTS).open("a") as handle:
                    handle.write(json.dumps(row) + "\n")
            else:
                images.write_frame(self.directory, step, samples, self._columns())
        except Exception as exc:  # a figure is never worth a failed run
            log.warning("figure snapshot at step %d failed: %s: %s", step, type(exc).__name__, exc)

    def draw(self) -> None:
        """Every figure that suits this run; each failure is logged and the others still drawn."""
        drawings = [("losses", lambda: training.draw_losses(self.directory)),
                    ("d_accuracy", lambda: training.draw_d_accuracy(
                        self.directory, snapshots.rounds_per_epoch(self.experiment))),
                    ("metrics", lambda: training.draw_metrics(self.directory))]
        if self.kind in ("1-d", "discrete", "2-d"):
            drawings += self._sample_drawings()
        elif self.kind == "images":
            drawings.append(("samples", lambda: images.draw_samples_and_animation(self.directory, self._describe_step)))
        for name, drawing in drawings:
            try:
                drawing()
            except Exception as exc:
                log.warning("figure %r not drawn: %s: %s", name, type(exc).__name__, exc)
        log.info("figures written to %s", plots_dir(self.directory))

    def _sample_drawings(self) -> list[tuple[str, Any]]:
        """The figures of generated against real samples (low-dimensional data)."""
        experiment, directory = self.experiment, self.directory
        try:
            generated = experiment.sample(FINAL_SAMPLES)
            stream = torch.Generator().manual_seed(stream_seed(experiment.config.seed, snapshots.SNAPSHOT_STREAM, 1))
            real = experiment.data.reference_samples(FINAL_SAMPLES, stream)
        except Exception as exc:
            log.warning("figures of the samples not drawn: %s: %s", type(exc).__name__, exc)
            return []
        if self.kind == "1-d":
            return [("moments", lambda: one_d.draw_moments(directory, self.moments, experiment.data, real)),
                    ("histogram", lambda: one_d.draw_histogram(directory, generated, experiment.data, real))]
        if self.kind == "discrete":
            return [("values", lambda: discrete.draw_values(directory, generated, real))]
        return [("scatter", lambda: two_d.draw_scatter(directory, generated, real))]

    def _grid_size(self) -> int:
        classes = self.experiment.classes
        return classes * 10 if classes is not None and classes <= 20 else IMAGE_GRID

    def _columns(self) -> int:
        classes = self.experiment.classes
        return classes if classes is not None and classes <= 20 else 8

    def _describe_step(self, step: int) -> str:
        per_epoch = snapshots.rounds_per_epoch(self.experiment)
        if step == 0:
            return "before training"
        if per_epoch and step % per_epoch == 0:
            return f"epoch {step // per_epoch}"
        return f"step {step:,}"

    def _read_moments(self) -> list[dict[str, Any]]:
        path = plots_dir(self.directory) / MOMENTS
        rows = []
        if path.is_file():
            for line in path.read_text().splitlines():
                try:
                    row = json.loads(line)
                    rows.append({"step": int(row["step"]), "mean": float(row["mean"]), "std": float(row["std"]),
                                 "n": int(row.get("n", 0))})
                except (ValueError, KeyError, TypeError):
                    continue
        return rows
