"""Hyperparameter sweeps on Optuna: ``ganframe sweep SWEEP.toml`` and :func:`run_sweep`.

Optuna is an optional dependency (``pip install 'ganframe[sweep]'``), imported when a sweep runs.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .spec import Param, SweepSpec, load_sweep, parse_sweep, validate

__all__ = ["Param", "SweepSpec", "load_sweep", "parse_sweep", "run_sweep", "validate"]

RESULTS = "trials.json"


def run_sweep(spec: SweepSpec, sweep_dir: str | Path, *, storage: str | None = None, jobs: int = 1,
              trials: int | None = None, plugins: Any = None, sweep_file: str | Path | None = None,
              on_trial: Callable[[Any], None] | None = None) -> dict[str, Any]:
    """Validate ``spec``, then run trials until ``trials`` (default ``spec.trials``) are complete
    or pruned in the study (continuing it when it exists), in ``jobs`` processes (more than one
    needs ``sweep_file``, which the other processes read). Writes ``SWEEP_DIR/trials.json`` and
    ``SWEEP_DIR/best.toml`` (when a trial is complete) and ``SWEEP_DIR/report.html`` (the table and
    Optuna's plots); returns ``{"rows", "best", "best_config", "report"}``, best and best_config None
    when no trial is complete."""
    from ..plugins import load_plugins
    from ..rundir import write_atomically, write_json
    from .report import write_sweep_report
    from .run import BEST, best_config, default_storage, import_optuna, open_study, run_worker, trial_rows

    import_optuna()
    plugins = plugins if plugins is not None else load_plugins()
    sweep_dir = Path(sweep_dir)
    validate(spec, plugins)  # before any directory, study or trial
    sweep_dir.mkdir(parents=True, exist_ok=True)
    storage = storage or default_storage(sweep_dir)
    open_study(spec, storage)  # an unreachable storage or another sweep's study fails here
    workers = []
    if jobs > 1:
        if sweep_file is None:
            raise ValueError("run_sweep(jobs > 1) needs the sweep_file the other processes read")
        command = [sys.executable, "-m", "ganframe", "sweep", str(sweep_file), "--out", str(sweep_dir),
                   "--storage", storage, "--worker"]
        if trials is not None:
            command += ["--trials", str(trials)]
        workers = [subprocess.Popen(command) for _ in range(jobs - 1)]
    try:
        run_worker(spec, sweep_dir, storage, plugins=plugins, on_trial=on_trial, trials=trials)
    except BaseException:  # Ctrl-C, SIGTERM, an error: the workers stop too (their trials fail, never count)
        for worker in workers:
            worker.terminate()
        raise
    finally:
        for worker in workers:
            worker.wait()
    study = open_study(spec, storage)
    rows = trial_rows(study)
    write_json(sweep_dir / RESULTS, {"study": spec.name, "storage": storage, "objective": spec.objective,
                                     "direction": spec.direction, "seeds": list(spec.seeds), "trials": rows})
    best, text = best_config(spec, study, plugins)
    if best is not None:
        write_atomically(sweep_dir / BEST, lambda handle: handle.write(text.encode()))
    report = write_sweep_report(study, sweep_dir, spec, rows)
    return {"rows": rows, "best": best, "best_config": sweep_dir / BEST if best is not None else None,
            "report": report}
