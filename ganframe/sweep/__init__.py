"""Hyperparameter sweeps on Optuna: ``ganframe sweep SWEEP.toml`` and :func:`run_sweep`.

Optuna is an optional dependency (``pip install 'ganframe[sweep]'``), imported when a sweep runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .spec import Param, SweepSpec, load_sweep, parse_sweep, validate

__all__ = ["Param", "SweepSpec", "load_sweep", "parse_sweep", "run_sweep", "validate"]

RESULTS = "trials.json"
STOP_GRACE_S = 30  # how long stopped workers have to mark their trials failed before they are killed


def run_sweep(
    spec: SweepSpec,
    sweep_dir: str | Path,
    *,
    storage: str | None = None,
    jobs: int = 1,
    trials: int | None = None,
    plugins: Any = None,
    on_trial: Callable[[Any], None] | None = None,
    worker_progress: bool = False,
) -> dict[str, Any]:
    """Validate ``spec``, then run trials until ``trials`` (default ``spec.trials``) are complete
    or pruned in the study (continuing it when it exists). Writes ``SWEEP_DIR/trials.json``,
    ``SWEEP_DIR/best.toml`` (when a trial is complete) and ``SWEEP_DIR/report.html`` (the table and
    Optuna's plots); returns ``{"rows", "best", "best_config", "report", "against_baseline"}``, best
    and best_config None when no trial is complete, against_baseline a sentence comparing the best
    trial with the base-config trial (None without one).

    ``jobs`` > 1 starts ``jobs - 1`` worker processes beside this one. They load the installed
    plugins (less those ``plugins`` disabled): a plugin object given only in this process is not
    theirs. ``on_trial(trial)`` is called in this process for its own trials; with
    ``worker_progress`` the workers print each of theirs as a line, as the command does."""
    from ..plugins import load_plugins
    from ..rundir import write_atomically, write_json
    from .report import write_sweep_report
    from .results import BEST, best_config, compare_to_baseline, trial_rows
    from .run import enqueue_baseline, run_worker
    from .storage import create_or_open_study, default_storage, import_optuna

    import_optuna()
    plugins = plugins if plugins is not None else load_plugins()
    sweep_dir = Path(sweep_dir)
    validate(spec, plugins)  # before any directory, study or trial
    sweep_dir.mkdir(parents=True, exist_ok=True)
    storage = storage or default_storage(sweep_dir)
    study, created = create_or_open_study(spec, storage)  # an unreachable storage fails here
    if created:
        enqueue_baseline(study, spec, plugins)
    workers = [
        _start_worker(spec, sweep_dir, storage, trials, plugins.disabled, worker_progress) for _ in range(jobs - 1)
    ]
    try:
        run_worker(spec, sweep_dir, storage, plugins=plugins, on_trial=on_trial, trials=trials)
    except BaseException:  # Ctrl-C, SIGTERM, an error: the workers stop too (their trials fail, never count)
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.join(STOP_GRACE_S)
            if worker.is_alive():  # stuck: its trial is marked failed by the next sweep on the study
                worker.kill()
        raise
    finally:
        for worker in workers:
            worker.join()
    rows = trial_rows(study)  # the study reads the storage afresh: every process's trials

    write_json(
        sweep_dir / RESULTS,
        {
            "study": spec.name,
            "storage": storage,
            "objective": spec.objective,
            "direction": spec.direction,
            "seeds": list(spec.seeds),
            "trials": rows,
        },
    )
    best, text = best_config(spec, study, plugins)
    if best is not None:
        write_atomically(sweep_dir / BEST, lambda handle: handle.write(text.encode()))
    report = write_sweep_report(study, sweep_dir, spec, rows)
    return {
        "rows": rows,
        "best": best,
        "best_config": sweep_dir / BEST if best is not None else None,
        "report": report,
        "against_baseline": compare_to_baseline(rows, spec, sweep_dir / BEST),
    }


def _start_worker(spec: SweepSpec, sweep_dir: Path, storage: str, trials: int | None, disabled: Any, progress: bool):
    """A worker process on the study (spawned: a fresh interpreter, as safe with PyTorch's threads
    as from a notebook)."""
    import multiprocessing

    from .run import worker_process

    process = multiprocessing.get_context("spawn").Process(
        target=worker_process, args=(spec, sweep_dir, storage, trials, sorted(disabled), progress), daemon=False
    )
    process.start()
    return process
