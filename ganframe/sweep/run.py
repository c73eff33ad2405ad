"""Running a sweep on an Optuna study: trials, pruning, the table and the best config.

Every trial trains one run per seed into ``SWEEP_DIR/trials/NNNN/seed-S`` (ordinary run
directories); the objective is the mean over seeds, and each seed's value is kept in the trial's
user attributes. Several processes (``--jobs``, or several ``ganframe sweep`` commands with one
``--storage``) share one study; the number of finished trials (complete or pruned) is exact.
"""

from __future__ import annotations

import logging
import math
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

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)  # heartbeats
    return optuna


def default_storage(sweep_dir: Path) -> str:
    return f"sqlite:///{Path(sweep_dir).resolve() / STUDY_DB}"


def open_study(spec: SweepSpec, storage_url: str):
    """The study named ``spec.name`` in ``storage_url`` (created, or continued when it exists); an
    unreachable storage or a study made by a different sweep is a one-line ConfigError."""
    optuna = import_optuna()
    for attempt in range(5):  # processes that create one fresh database at once race on its schema
        try:
            return _open_study(optuna, spec, storage_url)
        except _StorageError:
            if attempt == 4:
                raise
            time.sleep(0.2 + 0.3 * attempt)
    raise AssertionError("unreachable")


class _StorageError(ConfigError):
    """The storage could not be opened (perhaps only for now: another process creating it)."""


def _open_study(optuna, spec: SweepSpec, storage_url: str):
    from optuna.storages import RetryFailedTrialCallback

    try:
        if storage_url.startswith(("sqlite:", "postgresql", "mysql")):
            storage = optuna.storages.RDBStorage(
                storage_url, heartbeat_interval=HEARTBEAT_S, grace_period=GRACE_S,
                failed_trial_callback=RetryFailedTrialCallback(max_retry=spec.retries) if spec.retries else None,
                engine_kwargs={"connect_args": {"timeout": 60}} if storage_url.startswith("sqlite:") else None)
        elif storage_url.startswith("journal:"):
            from optuna.storages.journal import JournalFileBackend, JournalStorage

            storage = JournalStorage(JournalFileBackend(storage_url.removeprefix("journal:")))
        else:
            raise ConfigError(f"--storage {storage_url!r}: expected an Optuna database URL (sqlite:///FILE, "
                              "postgresql://..., mysql://...) or journal:FILE")
        pruner = optuna.pruners.MedianPruner() if spec.pruner == "median" else optuna.pruners.NopPruner()
        study = optuna.create_study(study_name=spec.name, storage=storage, load_if_exists=True,
                                    direction=spec.direction, pruner=pruner)
    except ConfigError:
        raise
    except Exception as exc:  # sqlalchemy's errors, a missing driver, a refused connection...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _StorageError(f"cannot open the storage {storage_url!r}: {first}") from None
    fingerprint = spec.fingerprint()
    saved = study.user_attrs.get(FINGERPRINT)
    if saved is None:
        study.set_user_attr(FINGERPRINT, fingerprint)
    elif saved != fingerprint:
        raise ConfigError(f"the study {spec.name!r} in {storage_url!r} was started by a different sweep "
                          "(objective, direction, seeds or space); give the sweep another name or --out")
    if study.direction.name.lower() != spec.direction:
        raise ConfigError(f"the study {spec.name!r} in {storage_url!r} is to {study.direction.name.lower()}")
    return study


def counted(study) -> int:
    """Trials that count towards the total: complete and pruned ones."""
    from optuna.trial import TrialState

    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))


class _Surplus(Exception):
    """A trial started by a worker after the others had already started the last one."""


class _Pruning:
    """A lifecycle callback: reports each evaluation to the trial; stops training when the pruner says so."""

    def __init__(self, trial, objective: str, offset: int) -> None:
        self.trial, self.objective, self.offset = trial, objective, offset
        self.pruned = False

    @hookimpl
    def on_evaluation(self, experiment, step: int, metrics: Mapping[str, float]) -> None:
        value = metrics.get(self.objective)
        if self.pruned or value is None or not math.isfinite(value) or step >= experiment.config.train.steps:
            return
        self.trial.report(float(value), self.offset + step)
        if self.trial.should_prune():
            self.pruned = True
            experiment.request_stop()


def run_worker(spec: SweepSpec, sweep_dir: Path, storage_url: str, *, plugins: Any = None,
               on_trial: Callable[[Any], None] | None = None, trials: int | None = None) -> None:
    """Run trials of the study until ``trials`` (default ``spec.trials``) are complete or pruned,
    counting those of every process that shares the study."""
    optuna = import_optuna()
    from optuna.trial import TrialState

    from ..plugins import load_plugins
    from ..summary import mean_interval

    plugins = plugins if plugins is not None else load_plugins()
    total = trials if trials is not None else spec.trials
    study = open_study(spec, storage_url)
    sweep_dir = Path(sweep_dir)
    occupying = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)

    def objective(trial) -> float:
        earlier = [t for t in study.get_trials(deepcopy=False, states=occupying) if t.number < trial.number]
        if len(earlier) >= total:
            trial.set_user_attr("surplus", True)
            raise _Surplus()
        params = {p.key: _suggest(trial, p) for p in spec.space}
        values: dict[str, float] = {}
        started = time.perf_counter()
        trial.set_user_attr("run_dir", str(sweep_dir / "trials" / f"{trial.number:04d}"))
        for index, seed in enumerate(spec.seeds):
            from ..experiment import Experiment

            pruning = _Pruning(trial, spec.objective, offset=0)
            experiment = Experiment.from_dict(spec.base, overrides=spec.overrides(params, seed), plugins=plugins,
                                              callbacks=[pruning])
            pruning.offset = index * experiment.config.train.steps
            report = experiment.fit(sweep_dir / "trials" / f"{trial.number:04d}" / f"seed-{seed}")
            if pruning.pruned:
                trial.set_user_attr("values", values)
                trial.set_user_attr("seconds", round(time.perf_counter() - started, 3))
                raise optuna.TrialPruned()
            values[str(seed)] = float(report["metrics"][spec.objective])
            trial.set_user_attr("values", values)
        stats = mean_interval(list(values.values()))
        trial.set_user_attr("ci95", stats["ci95"])
        trial.set_user_attr("seconds", round(time.perf_counter() - started, 3))
        if stats["mean"] is None:
            raise ConfigError(f"the objective {spec.objective!r} is not a finite number for any seed")
        return stats["mean"]

    def callback(study, frozen) -> None:
        if on_trial is not None and not frozen.user_attrs.get("surplus"):
            on_trial(frozen)

    while True:
        done = counted(study)
        running = len(study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))
        if done + running >= total:
            break
        study.optimize(objective, n_trials=1, catch=(Exception,), callbacks=[callback], gc_after_trial=False)
        last = study.get_trials(deepcopy=False)[-1] if study.get_trials(deepcopy=False) else None
        if last is not None and last.user_attrs.get("surplus"):
            break


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
            "values": dict(trial.user_attrs.get("values", {})), "seconds": trial.user_attrs.get("seconds")}


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
    return f"{row['number']:>5}  {row['state']:<8}  {objective:>20}  {seconds:>8}  {params}  [{seeds}]"


def format_table(rows: list[Mapping[str, Any]], objective: str) -> str:
    header = f"{'trial':>5}  {'state':<8}  {objective + ' (95 % CI)':>20}  {'time':>8}  params  [seed:value]"
    return "\n".join([header, *(format_trial(row) for row in rows)])


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def best_config(spec: SweepSpec, study, plugins: Any) -> tuple[Any, str]:
    """The best trial and its full config as TOML (seed: the sweep's first), ready for ``--config``."""
    from ..config import resolve_config
    from ..experiment import expand_config

    try:
        best = study.best_trial
    except ValueError:
        raise ConfigError(f"the study {spec.name!r} has no complete trial yet") from None
    raw = expand_config(spec.base, spec.overrides(best.params, spec.seeds[0]), plugins.registry)
    return best, resolve_config(raw, plugins.registry).to_toml()
