"""Run directories: what ``ganframe train`` (or ``Experiment.fit(run_dir)``) leaves behind.

    RUN_DIR/
      config.toml          the fully resolved configuration (Experiment.load reads it)
      metrics.jsonl        one JSON object per line: logged losses, then metrics, by step
                           ({"step", "metrics": {...}}), and with train.epoch_logs per-epoch
                           means ({"step", "epoch", "logs": {...}})
      checkpoints/last.pt  models, optimisers, training position and random states
      report.json          final metrics, steps, time, device and versions (and per-epoch means)
      report.html          the same, with the figures and the config, in one page (logging.report)
      plots/               figures (logging.plots; see ganframe.plots)
      tensorboard/         TensorBoard event files (logging.tensorboard)

The writer is a lifecycle plugin registered for the duration of ``fit``. Only the main process
writes; every process takes part in averaging the logged values.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from . import checkpoint, distributed
from .config import read_toml
from .errors import ConfigError, RunDirectoryError
from .hookimpl import hookimpl

if TYPE_CHECKING:
    from .experiment import Experiment

log = logging.getLogger("ganframe")

CONFIG = "config.toml"
METRICS = "metrics.jsonl"
REPORT = "report.json"


def write_config(directory: Path, experiment: Experiment) -> None:
    text = experiment.config.to_toml().encode()
    checkpoint.write_atomically(directory / CONFIG, lambda handle: handle.write(text))


def read_config(directory: Path) -> dict[str, Any]:
    """The raw config dict of a run directory, with clear errors for what is not a run."""
    if not directory.exists():
        raise RunDirectoryError(f"run directory {str(directory)!r} does not exist")
    if not directory.is_dir():
        raise RunDirectoryError(f"{str(directory)!r} is not a directory")
    if not (directory / CONFIG).is_file():
        raise RunDirectoryError(f"{str(directory)!r} is not a ganframe run: it has no {CONFIG}")
    try:
        return read_toml(directory / CONFIG)
    except ConfigError as exc:
        raise RunDirectoryError(str(exc)) from None


def write_json(target: Path, content: Any) -> None:
    text = (json.dumps(content, indent=2, sort_keys=False) + "\n").encode()
    checkpoint.write_atomically(target, lambda handle: handle.write(text))


class RunningMeans:
    """The mean of each logged value since the last ``take()`` (a strategy may skip a value in a round)."""

    def __init__(self) -> None:
        self._sums: dict[str, torch.Tensor] = {}
        self.count = 0

    def add(self, logs: Mapping[str, torch.Tensor]) -> None:
        for key, value in logs.items():
            value = value.detach().float().reshape(())
            self._sums[key] = self._sums[key] + value if key in self._sums else value
        self.count += 1

    def take(self) -> dict[str, torch.Tensor]:
        """The means so far (empty when nothing was added), and start again."""
        means = {k: v / self.count for k, v in self._sums.items()} if self.count else {}
        self._sums, self.count = {}, 0
        return means


class RunWriter:
    """Writes a run directory as training goes (a lifecycle plugin)."""

    def __init__(self, directory: Path, experiment: Experiment) -> None:
        self.directory = directory
        self.experiment = experiment
        self.is_main = experiment.distributed.is_main
        self._means = RunningMeans()
        self._handle: Any = None

    def prepare(self) -> None:
        """Create the directory and write the config; keep metrics up to the checkpoint's step."""
        if self.is_main:
            resuming = self.experiment.step > 0
            if not resuming and (self.directory / CONFIG).exists():
                raise RunDirectoryError(
                    f"{str(self.directory)!r} already holds a run; continue it with --resume or choose another --out"
                )
            if self.directory.exists() and not self.directory.is_dir():
                raise RunDirectoryError(f"{str(self.directory)!r} exists and is not a directory")
            write_config(self.directory, self.experiment)
            self._open_metrics(keep_until=self.experiment.step if resuming else 0)
        distributed.barrier(self.experiment.distributed)

    def _open_metrics(self, keep_until: int) -> None:
        target = self.directory / METRICS
        kept: list[str] = []
        if keep_until and target.exists():
            for line in target.read_text().splitlines():
                try:
                    if json.loads(line)["step"] <= keep_until:
                        kept.append(line)
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by a crash: drop it
        try:
            self._handle = target.open("w", buffering=1)
            self._handle.writelines(line + "\n" for line in kept)
        except OSError as exc:
            raise RunDirectoryError(f"cannot write {str(target)!r}: {exc.strerror}") from None

    def _write(self, row: Mapping[str, Any]) -> None:
        if self._handle is not None:
            self._handle.write(json.dumps(row) + "\n")

    @hookimpl
    def on_step_end(self, step: int, logs: Mapping[str, torch.Tensor]) -> None:
        self._means.add(logs)
        train = self.experiment.config.train
        if step % train.log_every == 0 or step == train.steps:
            self.flush_logs(step)

    def flush_logs(self, step: int) -> None:
        """Write the mean of each logged value since the last row."""
        if not self._means.count:
            return
        means = distributed.average_scalars(self._means.take(), self.experiment.distributed)
        self._write({"step": step, **{k: _number(v.item()) for k, v in means.items()}})

    @hookimpl
    def on_epoch_end(self, step: int, epoch: int, logs: Mapping[str, float]) -> None:
        self._write({"step": step, "epoch": epoch, "logs": {k: _number(v) for k, v in logs.items()}})

    @hookimpl
    def on_evaluation(self, step: int, metrics: Mapping[str, float]) -> None:
        if metrics:
            self._write({"step": step, "metrics": {k: _number(v) for k, v in metrics.items()}})

    def checkpoint(self) -> None:
        """Write the checkpoint (and flush logged rows first, so the file matches it)."""
        self.flush_logs(self.experiment.step)
        checkpoint.save(self.directory, self.experiment)
        if self.is_main:
            log.info("checkpoint written at step %d", self.experiment.step)

    @hookimpl
    def on_experiment_end(self, report: Mapping[str, Any]) -> None:
        if self.is_main:
            write_json(self.directory / REPORT, dict(report))
        self._close()

    @hookimpl
    def on_exception(self) -> None:
        self._close()

    def write_html_report(self) -> None:
        """``report.html`` (``logging.report``), after every plugin has finished its figures. A
        failure is a warning: the run itself is complete by then."""
        if not (self.is_main and self.experiment.config.logging.report):
            return
        from .html_report import write_report

        try:
            target = write_report(self.directory)
        except Exception as exc:
            log.warning("report.html not written: %s: %s", type(exc).__name__, exc)
        else:
            log.info("report written to %s", target)

    def _close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _number(value: float) -> float | str:
    """JSON has no NaN or infinity: write those as strings rather than invalid JSON."""
    return value if math.isfinite(value) else str(value)


def read_number(value: Any) -> float:
    """A value as written by ``_number`` (or missing) back as a float: NaN for what is not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
