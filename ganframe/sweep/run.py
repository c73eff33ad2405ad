"""Running a sweep on an Optuna study: trials, pruning, the table and the best config.

Every trial trains one run per seed into ``SWEEP_DIR/trials/NNNN/seed-S`` (ordinary run
directories); the objective is the mean over seeds, and each seed's value is kept in the trial's
user attributes. Several processes (``--jobs``, or several ``ganframe sweep`` commands with one
``--storage``) share one study; the number of finished trials (complete or pruned) is exact.
"""

from __future__ import annotations

import inspect
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
from .spec import SweepSpec

log = logging.getLogger("ganframe")

STUDY_DB = "study.db"
BEST = "best.toml"
FINGERPRINT = "ganframe_sweep"
HEARTBEAT_S = 10  # a trial whose process died is marked failed this long (plus the grace) later
GRACE_S = 30


def import_optuna():
    """Optuna, or a one-line error saying what to install."""
    try:
        import optuna
    except ImportError:
        raise ConfigError("ganframe sweep needs Optuna: pip install 'ganframe[sweep]'") from None
    import warnings

    optuna.logging.set_verbosity(optuna.logging.ERROR)  # a failed trial's error is in its row, not a traceback
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)  # heartbeats
    return optuna


def default_storage(sweep_dir: Path) -> str:
    return f"sqlite:///{Path(sweep_dir).resolve() / STUDY_DB}"


def open_study(spec: SweepSpec, storage_url: str):
    """The study named ``spec.name`` in ``storage_url`` (created, or continued when it exists); an
    unreachable storage or a study made by a different sweep is a one-line ConfigError."""
    return create_or_open_study(spec, storage_url)[0]


def create_or_open_study(spec: SweepSpec, storage_url: str) -> tuple[Any, bool]:
    """:func:`open_study`, and whether this call created the study (of several processes opening a
    new study at once, exactly one did: the storage refuses a second study of the same name)."""
    optuna = import_optuna()
    for attempt in range(5):  # processes that create one fresh database at once race on its schema
        try:
            return _open_study(optuna, spec, storage_url)
        except _StorageError:
            if attempt == 4:
                raise
            time.sleep(0.2 + 0.3 * attempt)
    raise AssertionError("unreachable")


def retry_callback(optuna, retries: int):
    """Optuna's callback that enqueues a failed trial again with the same parameters, at most
    ``retries`` times; None for no retries. (Optuna 4.9 renamed it; both names work.)"""
    if not retries:
        return None
    retry = getattr(optuna.storages, "RetryHeartbeatStaleTrialCallback", None) or optuna.storages.RetryFailedTrialCallback
    return retry(max_retry=retries)


def _stale_trial_callback(optuna, retries: int) -> dict[str, Any]:
    """RDBStorage's keyword for what to do with a trial whose heartbeat stopped: retry it."""
    callback = retry_callback(optuna, retries)
    if callback is None:
        return {}
    renamed = "heartbeat_stale_trial_callback" in inspect.signature(optuna.storages.RDBStorage).parameters
    return {"heartbeat_stale_trial_callback" if renamed else "failed_trial_callback": callback}


class _StorageError(ConfigError):
    """The storage could not be opened (perhaps only for now: another process creating it)."""


def _open_study(optuna, spec: SweepSpec, storage_url: str):
    try:
        if storage_url.startswith(("sqlite:", "postgresql", "mysql")):
            storage = optuna.storages.RDBStorage(
                storage_url, heartbeat_interval=HEARTBEAT_S, grace_period=GRACE_S,
                engine_kwargs={"connect_args": {"timeout": 60}} if storage_url.startswith("sqlite:") else None,
                **_stale_trial_callback(optuna, spec.retries))
        elif storage_url.startswith("journal:"):
            from optuna.storages.journal import JournalFileBackend, JournalStorage

            storage = JournalStorage(JournalFileBackend(storage_url.removeprefix("journal:")))
        else:
            raise ConfigError(f"--storage {storage_url!r}: expected an Optuna database URL (sqlite:///FILE, "
                              "postgresql://..., mysql://...) or journal:FILE")
        pruner = {"median": optuna.pruners.MedianPruner, "successive-halving": optuna.pruners.SuccessiveHalvingPruner,
                  "hyperband": optuna.pruners.HyperbandPruner, "none": optuna.pruners.NopPruner}[spec.pruner]()
        from .sampler import TrialSeededSampler

        options = {"study_name": spec.name, "storage": storage, "direction": spec.direction, "pruner": pruner,
                   "sampler": TrialSeededSampler(spec.sampler_seed)}
        try:
            study, created = optuna.create_study(**options), True
        except optuna.exceptions.DuplicatedStudyError:
            study, created = optuna.create_study(**options, load_if_exists=True), False
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 -- sqlalchemy's errors, a missing driver, a refused connection...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _StorageError(f"cannot open the storage {storage_url!r}: {first}") from None
    fingerprint = spec.fingerprint()
    saved = study.user_attrs.get(FINGERPRINT)
    if saved is None:
        study.set_user_attr(FINGERPRINT, fingerprint)
    elif saved != fingerprint:
        raise ConfigError(f"the study {spec.name!r} in {storage_url!r} was started by a different sweep "
                          "(objective, direction, seeds, space, base config or [set]); give the sweep another "
                          "name or --out")
    if study.direction.name.lower() != spec.direction:
        raise ConfigError(f"the study {spec.name!r} in {storage_url!r} is to {study.direction.name.lower()}")
    return study, created


def counted(study) -> int:
    """Trials that count towards the total: complete and pruned ones."""
    from optuna.trial import TrialState

    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))


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


def run_worker(spec: SweepSpec, sweep_dir: Path, storage_url: str, *, plugins: Any = None,
               on_trial: Callable[[Any], None] | None = None, trials: int | None = None) -> None:
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
            log.warning("sweep %r: stopping: %d trials failed (their errors are in the table)",
                        spec.name, tally["failed"])
            return
        if tally["done"] + tally["running"] >= total:
            if not tally["waitable"]:
                log.warning("sweep %r: the last trials are running in processes on other machines; "
                            "this worker stops (run it again to pick up any that fail)", spec.name)
                return
            time.sleep(POLL_S)
            continue
        study.optimize(objective, n_trials=1, catch=(Exception,), callbacks=[callback], gc_after_trial=False)


POLL_S = 0.5


def worker_process(spec: SweepSpec, sweep_dir: Path, storage_url: str, trials: int | None,
                   disabled: list[str], progress: bool) -> None:
    """The body of a ``--jobs`` worker process: its own plugins, trials until the study is done.
    A stop signal fails its running trial ("interrupted") and ends it quietly with 128 + the
    signal's number; an error ends it with one line on stderr."""
    import sys

    from .. import stopping
    from ..errors import GanframeError
    from ..plugins import load_plugins

    with stopping.handling(stopping.raise_terminated):
        try:
            run_worker(spec, sweep_dir, storage_url, plugins=load_plugins(disabled, use_environment=False),
                       on_trial=print_trial if progress else None, trials=trials)
        except KeyboardInterrupt as exc:
            sys.exit(stopping.exit_status(getattr(exc, "signum", 2)))
        except GanframeError as exc:
            sys.stderr.write(f"ganframe: error: sweep worker: {exc}\n")
            sys.exit(2)


def print_trial(trial) -> None:
    """The progress line of a finished trial."""
    print(f"trial {format_trial(trial_row(trial)).strip()}", flush=True)


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
            return self._train(trial, started)
        except KeyboardInterrupt:
            trial.set_user_attr("error", "interrupted")
            raise
        except Exception as exc:
            if not isinstance(exc, _pruned()):
                trial.set_user_attr("error", _first_line(exc))
            raise
        finally:
            trial.set_user_attr("seconds", round(time.perf_counter() - started, 3))

    def _train(self, trial, started: float) -> float:
        from ..experiment import Experiment
        from ..summary import mean_interval

        spec = self.spec
        params = {p.key: _suggest(trial, p) for p in spec.space}
        folder = self.sweep_dir / "trials" / f"{trial.number:04d}"
        trial.set_user_attr("run_dir", str(folder))
        values: dict[str, float] = {}
        for index, seed in enumerate(spec.seeds):
            pruning = _Pruning(trial, spec.objective, offset=0, warmup=spec.pruner_warmup)
            experiment = Experiment.from_dict(spec.base, overrides=spec.overrides(params, seed),
                                              plugins=self.plugins, callbacks=[pruning])
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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def _suggest(trial, param) -> Any:
    if param.type == "float":
        return trial.suggest_float(param.key, param.low, param.high, log=param.log)
    if param.type == "int":
        return trial.suggest_int(param.key, param.low, param.high, log=param.log)
    return trial.suggest_categorical(param.key, list(param.choices))


# -- the results -----------------------------------------------------------------------------------
def trial_rows(study) -> list[dict[str, Any]]:
    """Every trial but those started after the last one was taken (surplus): params, objective,
    per-seed values, state and seconds."""
    return [trial_row(trial) for trial in study.get_trials(deepcopy=False) if not trial.user_attrs.get("surplus")]


def trial_row(trial) -> dict[str, Any]:
    """One trial as the table shows it: params, objective, per-seed values, state and seconds."""
    return {"number": trial.number, "state": trial.state.name.lower(), "params": dict(trial.params),
            "value": trial.value, "ci95": trial.user_attrs.get("ci95"),
            "values": dict(trial.user_attrs.get("values") or {}), "seconds": trial.user_attrs.get("seconds"),
            "error": trial.user_attrs.get("error"), "baseline": bool(trial.user_attrs.get("baseline"))}


def format_trial(row: Mapping[str, Any]) -> str:
    params = ", ".join(f"{k}={_short(v)}" for k, v in row["params"].items())
    if row["value"] is not None:
        ci = row["ci95"]
        half = f" ± {(ci[1] - ci[0]) / 2:.4g}" if ci else ""
        objective = f"{row['value']:.6g}{half}"
    else:
        objective = "-"
    seconds = f"{row['seconds']:.1f} s" if row["seconds"] is not None else "-"
    seeds = " ".join(f"{k}:{v:.4g}" for k, v in row["values"].items())
    error = f"  ({row['error']})" if row.get("error") else ""
    error += "  (base config)" if row.get("baseline") else ""
    return f"{row['number']:>5}  {row['state']:<8}  {objective:>20}  {seconds:>8}  {params}  [{seeds}]{error}"


def format_table(rows: list[Mapping[str, Any]], objective: str) -> str:
    header = f"{'trial':>5}  {'state':<8}  {objective + ' (95 % CI)':>20}  {'time':>8}  params  [seed:value]"
    return "\n".join([header, *(format_trial(row) for row in rows)])


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


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


def compare_to_baseline(rows: list[Mapping[str, Any]], spec: SweepSpec, best_toml: str | Path = BEST) -> str | None:
    """One sentence: how the best complete trial compares with the base-config trial, on the
    sweep's own seeds (where the best was chosen, so the gain is optimistic); None without a
    complete base-config trial."""
    complete = [row for row in rows if row["state"] == "complete" and row["value"] is not None]
    base = next((row for row in complete if row["baseline"]), None)
    if base is None:
        return None
    sign = 1 if spec.direction == "minimize" else -1
    best = min(complete, key=lambda row: (sign * row["value"], not row["baseline"]))
    where = f"the base config (trial {base['number']}: {spec.objective} = {base['value']:.6g})"
    if best is base:
        return f"no trial beat {where}"
    change = abs(best["value"] - base["value"]) / abs(base["value"]) * 100 if base["value"] else math.inf
    fresh = max(spec.seeds) + 1
    return (f"the best trial is {change:.1f} % {'lower' if sign == 1 else 'higher'} than {where} on the sweep's "
            f"seeds, where it was chosen; check it on others: ganframe train --config {best_toml} --seeds "
            f"{fresh}-{fresh + 4}")


def best_config(spec: SweepSpec, study, plugins: Any) -> tuple[Any, str]:
    """The best trial and its full config as TOML (seed: the sweep's first), ready for ``--config``;
    ``(None, "")`` while the study has no complete trial."""
    from ..config import resolve_config
    from ..experiment import expand_config

    try:
        best = study.best_trial
    except ValueError:
        return None, ""
    raw = expand_config(spec.base, spec.overrides(best.params, spec.seeds[0]), plugins.registry)
    return best, resolve_config(raw, plugins.registry).to_toml()
