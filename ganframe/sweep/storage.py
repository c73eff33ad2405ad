"""The Optuna side of a sweep: Optuna imported (or what to install), the study opened in its
storage (SQLite in the sweep directory by default; PostgreSQL, MySQL or a journal file shared by
several ``ganframe sweep`` commands), and checked to be this sweep's.
"""

from __future__ import annotations

import inspect
import time
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .spec import SweepSpec

STUDY_DB = "study.db"
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


def first_line(exc: BaseException, *, named: bool = True) -> str:
    """The first line of an error's message (``Type: line`` when ``named``), or its type's name."""
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if named else text.splitlines()[0]


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
    retry = (
        getattr(optuna.storages, "RetryHeartbeatStaleTrialCallback", None) or optuna.storages.RetryFailedTrialCallback
    )
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
                storage_url,
                heartbeat_interval=HEARTBEAT_S,
                grace_period=GRACE_S,
                engine_kwargs={"connect_args": {"timeout": 60}} if storage_url.startswith("sqlite:") else None,
                **_stale_trial_callback(optuna, spec.retries),
            )
        elif storage_url.startswith("journal:"):
            from optuna.storages.journal import JournalFileBackend, JournalStorage

            storage = JournalStorage(JournalFileBackend(storage_url.removeprefix("journal:")))
        else:
            raise ConfigError(
                f"--storage {storage_url!r}: expected an Optuna database URL (sqlite:///FILE, "
                "postgresql://..., mysql://...) or journal:FILE"
            )
        pruner = {
            "median": optuna.pruners.MedianPruner,
            "successive-halving": optuna.pruners.SuccessiveHalvingPruner,
            "hyperband": optuna.pruners.HyperbandPruner,
            "none": optuna.pruners.NopPruner,
        }[spec.pruner]()
        from .sampler import TrialSeededSampler

        options = {
            "study_name": spec.name,
            "storage": storage,
            "direction": spec.direction,
            "pruner": pruner,
            "sampler": TrialSeededSampler(spec.sampler_seed),
        }
        try:
            study, created = optuna.create_study(**options), True
        except optuna.exceptions.DuplicatedStudyError:
            study, created = optuna.create_study(**options, load_if_exists=True), False
    except ConfigError:
        raise
    except Exception as exc:
        raise _StorageError(f"cannot open the storage {storage_url!r}: {first_line(exc, named=False)}") from None
    fingerprint = spec.fingerprint()
    saved = study.user_attrs.get(FINGERPRINT)
    if saved is None:
        study.set_user_attr(FINGERPRINT, fingerprint)
    elif saved != fingerprint:
        raise ConfigError(
            f"the study {spec.name!r} in {storage_url!r} was started by a different sweep "
            "(objective, direction, seeds, space, base config or [set]); give the sweep another "
            "name or --out"
        )
    if study.direction.name.lower() != spec.direction:
        raise ConfigError(f"the study {spec.name!r} in {storage_url!r} is to {study.direction.name.lower()}")
    return study, created
