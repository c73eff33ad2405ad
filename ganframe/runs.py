"""The run writer: what ``ganframe train`` (or ``Experiment.fit(run_dir)``) writes into a run
directory as training goes — ``config.toml``, ``metrics.jsonl``, ``checkpoints/last.pt`` and
``report.json`` (see :mod:`ganframe.rundir` for the layout).

It is a lifecycle plugin like any other: :func:`fit_callbacks` makes one :class:`RunWriter` per fit
that has a run directory. Only the main process writes; every process takes part in averaging
the logged values and in gathering the random states a checkpoint holds.

The writer's methods import what needs PyTorch (checkpoints, the processes' averaging) when they run,
so that loading this plugin, as ``ganframe list`` does, imports no PyTorch.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import RunDirectoryError
from .hookimpl import hookimpl
from .rundir import CONFIG, METRICS, REPORT, json_number, remove_orphans, write_config, write_json
from .runlock import RunLock

if TYPE_CHECKING:
    import torch

    from .experiment import Experiment

log = logging.getLogger("ganframe")


@hookimpl
def fit_callbacks(experiment: Experiment, run_dir: Path | None) -> RunWriter | None:
    return RunWriter(run_dir, experiment) if run_dir is not None else None


class RunningMeans:
    """The mean of each logged value since the last ``take()``, over the rounds that logged it (a
    strategy may skip a value in a round). Values are kept, not summed, until ``take()``: a round
    only appends, and the device is never waited for."""

    def __init__(self) -> None:
        self._values: dict[str, list[torch.Tensor]] = {}
        self.count = 0  # rounds added

    def add(self, logs: Mapping[str, torch.Tensor]) -> None:
        for key, value in logs.items():
            self._values.setdefault(key, []).append(value.detach())
        self.count += 1

    def take(self) -> dict[str, torch.Tensor]:
        """The means so far (empty when nothing was added), and start again."""
        import torch

        means = {
            key: torch.stack([v.float().reshape(()) for v in values]).mean() for key, values in self._values.items()
        }
        self._values, self.count = {}, 0
        return means


class RunWriter:
    """Writes one fit's run directory (a lifecycle plugin for the duration of the fit)."""

    def __init__(self, directory: Path, experiment: Experiment) -> None:
        self.directory = Path(directory)
        self.experiment = experiment
        self.is_main = experiment.distributed.is_main
        self._means = RunningMeans()
        self._handle: Any = None
        self._lock = RunLock(self.directory)

    @hookimpl(wrapper=True)  # around every other plugin: the directory is locked and ready before they write
    def on_experiment_start(self, step: int):
        """Lock the directory, create it and write the config; keep metrics up to the checkpoint's step."""
        from . import distributed

        if self.is_main:
            if self.directory.exists() and not self.directory.is_dir():
                raise RunDirectoryError(f"{str(self.directory)!r} exists and is not a directory")
            self._lock.acquire()
            try:
                self._start(step)
            except BaseException:
                self._lock.release()
                raise
        distributed.barrier(self.experiment.distributed)
        return (yield)

    def _start(self, step: int) -> None:
        """Write into a new directory, or continue the run the experiment was loaded from (possibly
        at step 0: a run stopped before its first checkpoint)."""
        source = self.experiment.loaded_from
        resuming = step > 0 or (source is not None and _same_path(source, self.directory))
        if not resuming and (self.directory / CONFIG).exists():
            raise RunDirectoryError(
                f"{str(self.directory)!r} already holds a run; continue it with --resume or choose another --out"
            )
        remove_orphans(self.directory)  # temporary files of a writer that was killed mid-write
        write_config(self.directory, self.experiment.config.to_toml())
        self._open_metrics(keep_until=step)
        log.info(
            "training %s from step %d to %d on %s, writing %s",
            self.experiment.config.setup or self.experiment.config.data.name,
            step,
            self.experiment.config.train.steps,
            self.experiment.device,
            self.directory,
        )

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

    @hookimpl(trylast=True)  # after every plugin that changes state at the end of a round (a moving average)
    def on_step_end(self, step: int, logs: Mapping[str, torch.Tensor]) -> None:
        self._means.add(logs)
        train = self.experiment.config.train
        if step % train.log_every == 0 or step == train.steps:
            self.flush_logs(step)
        if train.checkpoint_every and step % train.checkpoint_every == 0:
            self.checkpoint()

    def flush_logs(self, step: int) -> None:
        """Write the mean of each logged value since the last row."""
        from . import distributed

        if not self._means.count:
            return
        means = distributed.average_scalars(self._means.take(), self.experiment.distributed)
        self._write({"step": step, **{k: json_number(v.item()) for k, v in means.items()}})

    @hookimpl
    def on_epoch_end(self, step: int, epoch: int, logs: Mapping[str, float]) -> None:
        self._write({"step": step, "epoch": epoch, "logs": {k: json_number(v) for k, v in logs.items()}})

    @hookimpl
    def on_evaluation(self, step: int, metrics: Mapping[str, float]) -> None:
        if metrics:
            self._write({"step": step, "metrics": {k: json_number(v) for k, v in metrics.items()}})

    @hookimpl
    def on_train_end(self) -> None:
        self.checkpoint()

    def checkpoint(self) -> None:
        """Write the checkpoint (and flush logged rows first, so the file matches it)."""
        from . import checkpoint

        experiment = self.experiment
        self.flush_logs(experiment.step)
        checkpoint.save(self.directory, experiment.state_dict(), experiment.distributed)
        if self.is_main:
            log.info("checkpoint written at step %d", experiment.step)

    @hookimpl(wrapper=True)  # report.json before every other plugin (the report page reads it); unlock after all
    def on_experiment_end(self, report: Mapping[str, Any]):
        try:
            if self.is_main:
                write_json(self.directory / REPORT, dict(report))
                log.info(
                    "step %d, %.1f s of training: %s",
                    report["steps"],
                    report["seconds"],
                    ", ".join(f"{k} {v:.4g}" for k, v in report["metrics"].items()) or "no metrics",
                )
            self._close_metrics()
            return (yield)
        finally:
            self._lock.release()

    @hookimpl
    def on_exception(self) -> None:
        self._close_metrics()
        self._lock.release()

    def _close_metrics(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _same_path(a: Path, b: Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False
