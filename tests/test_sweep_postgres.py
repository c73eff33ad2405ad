"""ganframe sweep on a PostgreSQL storage: two workers share one study on a real server, and an
unreachable server is a one-line error.

The shared-database test needs a server: GANFRAME_TEST_POSTGRES, an SQLAlchemy URL such as
postgresql+psycopg2://postgres@127.0.0.1:PORT/ganframe_test, which .ci/run sets when it can start one
(.ci/postgres; by hand: `.ci/postgres .venv/bin/python -m pytest tests/test_sweep_postgres.py`).
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from test_sweep import ganframe, start_workers, write_sweep

POSTGRES = os.environ.get("GANFRAME_TEST_POSTGRES", "")
needs_postgres = pytest.mark.skipif(
    not POSTGRES, reason="GANFRAME_TEST_POSTGRES is not set: .ci/run sets it when it can start a PostgreSQL server"
)


def named_sweep(folder: Path, name: str, trials: int) -> Path:
    """The small sweep of test_sweep.py as the study ``name``."""
    path = write_sweep(folder, trials=trials, top='pruner = "none"')
    path.write_text(f'name = "{name}"\n' + path.read_text())
    return path


@needs_postgres
def test_two_workers_on_one_postgres_storage_run_exactly_n_trials(tmp_path):
    name = f"ganframe-test-{uuid.uuid4().hex}"  # reruns on the same database never meet an old study
    path = named_sweep(tmp_path, name, trials=4)
    workers = start_workers(path, tmp_path, POSTGRES)
    try:
        for worker in workers:
            _, err = worker.communicate(timeout=300)
            assert worker.returncode == 0, err
        study = optuna.load_study(study_name=name, storage=POSTGRES)
        trials = study.get_trials(deepcopy=False)
        complete = [t.number for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
        assert len(complete) == 4 and len(set(complete)) == 4, [(t.number, t.state.name) for t in trials]
        for trial in trials:  # any other trial was started after the last one was taken, and says so
            if trial.state != optuna.trial.TrialState.COMPLETE:
                assert trial.state == optuna.trial.TrialState.FAIL and trial.user_attrs.get("surplus") is True, (
                    trial.number,
                    trial.state.name,
                    trial.user_attrs,
                )
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
        with contextlib.suppress(Exception):
            optuna.delete_study(study_name=name, storage=POSTGRES)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the probe is: nothing listens there


def test_unreachable_postgres_is_one_line(tmp_path):
    path = named_sweep(tmp_path, f"ganframe-test-{uuid.uuid4().hex}", trials=2)
    storage = f"postgresql+psycopg2://postgres@127.0.0.1:{closed_port()}/ganframe_test"
    result = ganframe("sweep", path, "--out", tmp_path / "out", "--storage", storage, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("ganframe: error: ") and len(result.stderr.splitlines()) == 1, result.stderr
    assert "cannot open the storage" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "trials").exists()
