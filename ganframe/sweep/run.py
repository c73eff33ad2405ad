"""Running a sweep's trials on an Optuna study, in this process or in worker processes.

Every trial trains one run per seed into ``SWEEP_DIR/trials/NNNN/seed-S`` (ordinary run
directories); the objective is the mean over seeds, and each seed's value is kept in the trial's
user attributes. Several processes (``--jobs``, or several ``ganframe sweep`` commands with one
``--storage``) share one study; the number of finished trials (complete or pruned) is exact.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..hookimpl import hookimpl
from .results import print_trial
from .spec import SweepSpec
from .storage import first_line, import_optuna, open_study, retry_callback

log = logging.getLogger("ganframe")
POLL_S = 0.5  # how often a worker waiting for other processes' last trials looks again


class _Surplus(Exception):
    """A trial started by a worker after the others had already started the last one."""


class _Pruning:
    """A lifecycle callback: reports each evaluation to the trial (at round ``offset + step``: the
    seeds of a trial train one after another); stops training when the pruner says so, but not
    before ``warmup`` (a fraction) of the first seed's rounds, where values say little yet."""

    def __init__(self, trial, objective: str, offset: int, warmup: float = 0.0) -> None:
        self.trial, self.objective, self.offset, self.warmup = trial, objective, offset, warmup
        self.pruned = False

    @hookimpl
    def on_evaluation(self, experiment, step: int, metrics: Mapping[str, float]) -> None:
        value = metrics.get(self.objective)
        steps = experiment.config.train.steps
        if self.pruned or value is None or not math.isfinite(value) or step >= steps:
            return
        self.trial.report(float(value), self.offset + step)
        if self.offset == 0 and step < self.warmup * steps:
            return
        if self.trial.should_prune():
            self.pruned = True
            experiment.request_stop()


def run_worker(
    spec: SweepSpec,
    sweep_dir: Path,
    storage_url: str,
    *,
    plugins: Any = None,
    on_trial: Callable[[Any], None] | None = None,
    trials: int | None = None,
) -> None:
    """Run trials of the study until ``trials`` (default ``spec.trials``) are complete or pruned,
    counting those of every process that shares the study.

    When the last trials are running in other processes, this one waits for them, and takes over
    any that fails (a process that was killed: its trial is marked failed as soon as its process is
    seen dead on this machine, or when its heartbeat stops on a database storage). A failed trial
    is run again ``spec.retries`` times with the same parameters; the worker gives up when failed
    trials reach ``(retries + 1) * trials`` (a space where every point fails, say)."""
    optuna = import_optuna()

    from ..plugins import load_plugins

    plugins = plugins if plugins is not None else load_plugins()
    total = trials if trials is not None else spec.trials
    study = open_study(spec, storage_url)
    objective = _Objective(spec, Path(sweep_dir), study, total, plugins)
    retry = retry_callback(optuna, spec.retries)

    def callback(study, frozen) -> None:
        if frozen.user_attrs.get("surplus"):
            return
        if frozen.state.name == "FAIL" and retry is not None:
            retry(study, frozen)
        if on_trial is not None:
            on_trial(frozen)

    while True:
        _fail_dead_trials(study, retry, on_trial)
        tally = _tally(study)
        if tally["done"] >= total:
            return
        if tally["failed"] >= (spec.retries + 1) * total:
            log.warning(
                "sweep %r: stopping: %d trials failed (their errors are in the table)", spec.name, tally["failed"]
            )
            return
        if tally["done"] + tally["running"] >= total:
            if not tally["waitable"]:
                log.warning(
                    "sweep %r: the last trials are running in processes on other machines; "
                    "this worker stops (run it again to pick up any that fail)",
                    spec.name,
                )
                return
            time.sleep(POLL_S)
            continue
        study.optimize(objective, n_trials=1, catch=(Exception,), callbacks=[callback], gc_after_trial=False)


def worker_process(
    spec: SweepSpec, sweep_dir: Path, storage_url: str, trials: int | None, disabled: list[str], progress: bool
) -> None:
    """The body of a ``--jobs`` worker process: its own plugins, trials until the study is done.
    A stop signal fails its running trial ("interrupted") and ends it quietly with 128 + the
    signal's number (the signals after it are ignored while it does); an error ends it with one
    line on stderr."""
    import sys

    from .. import stopping
    from ..errors import GanframeError
    from ..plugins import load_plugins

    with stopping.handling(stopping.RaiseOnce()):
        try:
            run_worker(
                spec,
                sweep_dir,
                storage_url,
                plugins=load_plugins(disabled, use_environment=False),
                on_trial=print_trial if progress else None,
                trials=trials,
            )
        except KeyboardInterrupt as exc:
            sys.exit(stopping.exit_status(getattr(exc, "signum", 2)))
        except GanframeError as exc:
            sys.stderr.write(f"ganframe: error: sweep worker: {exc}\n")
            sys.exit(2)


def _tally(study) -> dict[str, Any]:
    """Counts over the study: done (complete or pruned), running, failed (surplus trials aside), and
    whether every running trial is one this process can wait for (its process is on this machine,
    or the storage has heartbeats that fail it when its process dies)."""
    from optuna.trial import TrialState

    tally: dict[str, Any] = {"done": 0, "running": 0, "failed": 0, "waitable": True}
    heartbeats = _has_heartbeats(study)
    for trial in study.get_trials(deepcopy=False):
        if trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
            tally["done"] += 1
        elif trial.state == TrialState.RUNNING:
            tally["running"] += 1
            tally["waitable"] &= heartbeats or _local_pid(trial) is not None
        elif trial.state == TrialState.FAIL and not trial.user_attrs.get("surplus"):
            tally["failed"] += 1
    return tally


def _has_heartbeats(study) -> bool:
    from optuna.storages._heartbeat import is_heartbeat_enabled

    return is_heartbeat_enabled(study._storage)


def _worker_id() -> str:
    """Which process runs a trial: ``HOST:PID`` (kept in the trial's user attributes)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _local_pid(trial) -> int | None:
    """The process id of a trial's worker when that worker runs on this machine, else None."""
    host, _, pid = str(trial.user_attrs.get("worker", "")).rpartition(":")
    return int(pid) if host == socket.gethostname() and pid.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _fail_dead_trials(study, retry, on_trial) -> None:
    """Mark failed the running trials whose worker died: on this machine, seen by its process id
    at once; elsewhere, by Optuna's heartbeats (database storages) after their grace period. A
    failed trial is retried as configured, and shown."""
    import optuna
    from optuna.trial import TrialState

    optuna.storages.fail_stale_trials(study)  # retries through the storage's own callback
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        pid = _local_pid(trial)
        if pid is None or pid == os.getpid() or _alive(pid):
            continue
        try:
            study._storage.set_trial_user_attr(trial._trial_id, "error", f"its worker (process {pid}) died")
            if not study._storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL):
                continue
        except optuna.exceptions.UpdateFinishedTrialError:  # another worker got there first
            continue
        failed = study._storage.get_trial(trial._trial_id)
        log.warning("sweep: trial %d failed: %s", failed.number, failed.user_attrs["error"])
        if retry is not None:
            retry(study, failed)
        if on_trial is not None:
            on_trial(failed)


class _Objective:
    """One trial: a run per seed under ``SWEEP_DIR/trials/NNNN/seed-S``; the mean over seeds."""

    def __init__(self, spec: SweepSpec, sweep_dir: Path, study, total: int, plugins: Any) -> None:
        self.spec, self.sweep_dir, self.study, self.total, self.plugins = spec, sweep_dir, study, total, plugins

    def __call__(self, trial) -> float:
        from optuna.trial import TrialState

        occupying = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
        earlier = [t for t in self.study.get_trials(deepcopy=False, states=occupying) if t.number < trial.number]
        if len(earlier) >= self.total:
            trial.set_user_attr("surplus", True)
            raise _Surplus()
        trial.set_user_attr("worker", _worker_id())
        for key, value in (("error", None), ("values", {}), ("ci95", None)):  # not a failed trial's, when retried
            trial.set_user_attr(key, value)
        started = time.perf_counter()
        try:
            return self._train(trial)
        except KeyboardInterrupt:
            trial.set_user_attr("error", "interrupted")
            raise
        except Exception as exc:
            if not isinstance(exc, _pruned()):
                trial.set_user_attr("error", first_line(exc))
            raise
        finally:
            trial.set_user_attr("seconds", round(time.perf_counter() - started, 3))

    def _train(self, trial) -> float:
        from ..experiment import Experiment
        from ..summary import mean_interval

        spec = self.spec
        params = {p.key: _suggest(trial, p) for p in spec.space}
        folder = self.sweep_dir / "trials" / f"{trial.number:04d}"
        trial.set_user_attr("run_dir", str(folder))
        values: dict[str, float] = {}
        for index, seed in enumerate(spec.seeds):
            pruning = _Pruning(trial, spec.objective, offset=0, warmup=spec.pruner_warmup)
            experiment = Experiment.from_dict(
                spec.base, overrides=spec.overrides(params, seed), plugins=self.plugins, callbacks=[pruning]
            )
            pruning.offset = index * experiment.config.train.steps
            report = experiment.fit(folder / f"seed-{seed}")
            if pruning.pruned:
                raise _pruned()()
            values[str(seed)] = float(report["metrics"][spec.objective])
            trial.set_user_attr("values", values)
        stats = mean_interval(list(values.values()))
        trial.set_user_attr("ci95", stats["ci95"])
        if stats["mean"] is None:
            raise ConfigError(f"the objective {spec.objective!r} is not a finite number for any seed")
        return stats["mean"]


def _pruned() -> type[Exception]:
    import optuna

    return optuna.TrialPruned


def _suggest(trial, param) -> Any:
    if param.type == "float":
        return trial.suggest_float(param.key, param.low, param.high, log=param.log)
    if param.type == "int":
        return trial.suggest_int(param.key, param.low, param.high, log=param.log)
    return trial.suggest_categorical(param.key, list(param.choices))


def enqueue_baseline(study, spec: SweepSpec, plugins: Any) -> None:
    """Make the next trial of ``study`` (call it on a study just created, so that it is trial 0 and
    enqueued once) train the base config's own values of the space, when ``spec.baseline``: the
    table then says whether the search beat the config it started from. A warning when those
    values are outside the space."""
    from .spec import baseline_params

    if not spec.baseline:
        return
    params, problem = baseline_params(spec, plugins)
    if params is None:
        log.warning("sweep %r: no base-config trial: %s (or set baseline = false)", spec.name, problem)
        return
    study.enqueue_trial(params, user_attrs={"baseline": True}, skip_if_exists=True)
