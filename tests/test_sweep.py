"""ganframe sweep: validation before any trial, a sweep over seeds, best.toml, restarts, two workers."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("optuna")

SWEEP = """\
setup = "toy"
objective = "wasserstein"
direction = "minimize"
trials = {trials}
seeds = [0, 1]
{top}
[set]
"train.steps" = {steps}
"train.eval_every" = {eval_every}
"train.batch_size" = 64
"evaluation.samples" = 500
"generator.hidden" = [8]
"discriminator.hidden" = [8]
"logging.plots" = false
"logging.report" = false
device = "cpu"

[[space]]
key = "generator.optimizer.lr"
type = "float"
low = 1e-4
high = 1e-2
log = true
{extra}"""


def write_sweep(
    folder: Path,
    trials: int = 3,
    extra: str = "",
    name: str = "sweep.toml",
    top: str = "",
    steps: int = 50,
    eval_every: int = 25,
) -> Path:
    """A sweep over the toy setup's generator learning rate; ``top`` adds top-level keys,
    ``extra`` more [[space]] entries."""
    path = folder / name
    path.write_text(sweep_text(trials=trials, extra=extra, top=top, steps=steps, eval_every=eval_every))
    return path


def sweep_text(trials: int = 3, extra: str = "", top: str = "", steps: int = 50, eval_every: int = 25) -> str:
    return SWEEP.format(trials=trials, extra=extra, top=top, steps=steps, eval_every=eval_every)


def ganframe(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ganframe", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def trial_states(db: Path) -> list[str]:
    if not db.exists():
        return []
    try:
        with sqlite3.connect(db) as connection:
            return [row[0] for row in connection.execute("SELECT state FROM trials ORDER BY number")]
    except sqlite3.OperationalError:  # the sweep is creating the database right now
        return []


@pytest.mark.parametrize(
    "extra, message",
    [
        ('[[space]]\nkey = "generator.optimiser.lr"\ntype = "float"\nlow = 0.1\nhigh = 0.2\n', "optimiser"),
        ('[[space]]\nkey = "loss"\ntype = "categorical"\nchoices = ["minimax", "no-such-loss"]\n', "no-such-loss"),
        ('[[space]]\nkey = "train.batch_size"\ntype = "int"\nlow = 64\nhigh = 8\n', "the range is empty"),
        ('[[space]]\nkey = "train.batch_size"\ntype = "int"\nlow = 8\nhigh = 8\n', "the range is empty"),
        ('[[space]]\nkey = "generator.optimizer.lr"\ntype = "float"\nlow = 0.1\nhigh = 0.2\n', "twice"),
        ('[[space]]\nkey = "train.batch_size"\ntype = "choice"\n', "'type' must be one of"),
        ('[[space]]\nkey = "generator.optimizer.lr"\ntype = "categorical"\nchoices = []\n', "non-empty list"),
    ],
)
def test_bad_space_is_one_line_and_no_trial(tmp_path, extra, message):
    path = write_sweep(tmp_path, extra=extra)
    result = ganframe("sweep", path, "--out", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("ganframe: error: ") and len(result.stderr.splitlines()) == 1, result.stderr
    assert message in result.stderr
    assert trial_states(tmp_path / "out" / "study.db") == []


def test_objective_the_metrics_do_not_compute(tmp_path):
    path = tmp_path / "sweep.toml"
    path.write_text(write_sweep(tmp_path).read_text().replace('"wasserstein"', '"fid"'))
    result = ganframe("sweep", path, "--out", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "the objective 'fid' is not computed" in result.stderr and "wasserstein" in result.stderr
    assert not (tmp_path / "out").exists()


def test_unreachable_storage(tmp_path):
    path = write_sweep(tmp_path)
    result = ganframe(
        "sweep",
        path,
        "--out",
        tmp_path / "out",
        "--storage",
        f"sqlite:///{tmp_path}/no/such/folder/db.sqlite",
        cwd=tmp_path,
    )
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "cannot open the storage" in result.stderr


def test_sweep_table_seeds_best_config_and_restart(tmp_path):
    path = write_sweep(tmp_path, trials=3)
    out = tmp_path / "out"
    result = ganframe("sweep", path, "--out", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "wasserstein (95 % CI)" in result.stdout and "generator.optimizer.lr=" in result.stdout
    assert trial_states(out / "study.db") == ["COMPLETE"] * 3
    results = json.loads((out / "trials.json").read_text())
    assert [row["number"] for row in results["trials"]] == [0, 1, 2]
    for row in results["trials"]:
        assert sorted(row["values"]) == ["0", "1"]  # every seed's value is kept
        assert row["value"] == pytest.approx(sum(row["values"].values()) / 2)
        assert len(row["ci95"]) == 2 and row["seconds"] > 0
        for seed in (0, 1):
            report = json.loads((out / "trials" / f"{row['number']:04d}" / f"seed-{seed}" / "report.json").read_text())
            assert report["seed"] == seed and report["metrics"]["wasserstein"] == pytest.approx(
                row["values"][str(seed)]
            )
    best = min(results["trials"], key=lambda row: row["value"])
    assert f"best: trial {best['number']}," in result.stdout
    # trial 0 trained the base config's own learning rate (the toy default preset's 5e-4), and
    # the last line compares the best with it
    assert results["trials"][0]["baseline"] and results["trials"][0]["params"] == {"generator.optimizer.lr": 0.0005}
    assert not any(row["baseline"] for row in results["trials"][1:])
    base = results["trials"][0]["value"]
    if best["number"] == 0:
        assert f"no trial beat the base config (trial 0: wasserstein = {base:.6g})" in result.stdout
    else:
        gain = (base - best["value"]) / base * 100
        assert f"the best trial is {gain:.1f} % lower than the base config (trial 0" in result.stdout
        assert f"--config {out / 'best.toml'} --seeds 2-6" in result.stdout
    # the report page: every trial, and Optuna's history plot
    page = (out / "report.html").read_text()
    assert f"report: {out / 'report.html'}" in result.stdout
    assert all(f"<td>{row['number']}" in page for row in results["trials"]) and (out / "figures").is_dir()
    # best.toml is a full config that trains, with the best trial's learning rate
    import tomllib

    config = tomllib.loads((out / "best.toml").read_text())
    assert config["generator"]["optimizer"]["lr"] == pytest.approx(best["params"]["generator.optimizer.lr"])
    trained = ganframe(
        "train", "--config", out / "best.toml", "--steps", "5", "--quiet", "--out", tmp_path / "best", cwd=tmp_path
    )
    assert trained.returncode == 0, trained.stderr
    # a restart continues the same study up to the new total
    again = ganframe("sweep", path, "--out", out, "--trials", "5", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert trial_states(out / "study.db") == ["COMPLETE"] * 5
    # a sweep file with another space does not continue that study
    other = tmp_path / "other.toml"  # the same study name, another space
    other.write_text(
        'name = "sweep"\n'
        + sweep_text(trials=3, extra='[[space]]\nkey = "train.log_every"\ntype = "int"\nlow = 1\nhigh = 10\n')
    )
    clash = ganframe("sweep", other, "--out", out, cwd=tmp_path)
    assert clash.returncode == 2 and "different sweep" in clash.stderr, clash.stderr


def start_workers(path: Path, folder: Path, storage: str, count: int = 2) -> list[subprocess.Popen]:
    """``count`` ``ganframe sweep`` processes on one storage, each with its own ``--out`` under ``folder``."""
    command = [sys.executable, "-m", "ganframe", "sweep", str(path), "--storage", storage, "--out"]
    return [
        subprocess.Popen(
            [*command, str(folder / f"w{i}")], cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for i in range(count)
    ]


@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_two_workers_on_one_storage_run_exactly_n_trials(tmp_path, kind):
    import optuna

    path = write_sweep(tmp_path, trials=6, top='pruner = "none"')
    storage = f"sqlite:///{tmp_path / 'shared.db'}" if kind == "sqlite" else f"journal:{tmp_path / 'shared.journal'}"
    workers = start_workers(path, tmp_path, storage)
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
    if kind == "sqlite":
        study = optuna.load_study(study_name="sweep", storage=storage)
    else:
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        study = optuna.load_study(study_name="sweep", storage=JournalStorage(JournalFileBackend(storage[8:])))
    trials = study.get_trials(deepcopy=False)
    complete = [t.number for t in trials if t.state.name == "COMPLETE"]
    assert len(complete) == 6 and len(set(complete)) == 6
    # a trial a worker started after the last one was taken is marked surplus, never a result
    assert all(t.state.name == "FAIL" and t.user_attrs.get("surplus") for t in trials if t.state.name != "COMPLETE")
    # one base-config trial, whichever process created the study
    assert sum(bool(t.user_attrs.get("baseline")) for t in trials) == 1
    # each worker wrote its own trials' run directories; together, every complete trial once
    dirs = [p.name for w in ("w0", "w1") for p in (tmp_path / w / "trials").glob("*") if (p / "seed-1").is_dir()]
    assert sorted(int(d) for d in dirs if int(d) in complete) == sorted(complete)
    # each worker waited for the other's last trial: both tables are final
    for w in ("w0", "w1"):
        table = json.loads((tmp_path / w / "trials.json").read_text())["trials"]
        assert sorted(row["number"] for row in table if row["state"] == "complete") == sorted(complete)
        assert not [row for row in table if row["state"] == "running"]


def test_a_worker_killed_mid_trial_leaves_the_study_consistent_and_a_restart_completes_it(tmp_path):
    path = write_sweep(tmp_path, trials=2, top="retries = 1", steps=2000, eval_every=1000)
    out = tmp_path / "out"
    worker = subprocess.Popen(
        [sys.executable, "-m", "ganframe", "sweep", str(path), "--out", str(out)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not (out / "trials" / "0000" / "seed-0").is_dir() or trial_states(out / "study.db") != ["RUNNING"]:
            assert worker.poll() is None and time.monotonic() < deadline, "the first trial never started"
            time.sleep(0.05)
        time.sleep(0.3)  # inside the first seed's training
    finally:
        worker.kill()  # SIGKILL: no handler runs
        worker.wait()
    assert trial_states(out / "study.db") == ["RUNNING"]  # nothing counted
    again = ganframe("sweep", path, "--out", out, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    rows = json.loads((out / "trials.json").read_text())["trials"]
    killed = rows[0]
    assert killed["state"] == "fail" and "died" in killed["error"] and killed["value"] is None
    complete = [row for row in rows if row["state"] == "complete"]
    assert len(complete) == 2  # the total counts results only
    # retries = 1: the killed trial ran again with the same parameters, from a fresh run directory
    retried = [row for row in complete if row["params"] == killed["params"]]
    assert len(retried) == 1 and sorted(retried[0]["values"]) == ["0", "1"]
    assert f"{killed['number']}  fail" in again.stdout
    best = min(complete, key=lambda row: row["value"])
    assert f"best: trial {best['number']}," in again.stdout


def test_failed_trials_are_shown_with_their_error_and_never_counted(tmp_path):
    # every point of this space diverges at once: the sweep gives up, says why, and exits 2
    path = write_sweep(
        tmp_path,
        trials=2,
        top="retries = 1",
        extra=('[[space]]\nkey = "discriminator.optimizer.lr"\ntype = "float"\nlow = 1e30\nhigh = 1e31\n'),
    )
    result = ganframe("sweep", path, "--out", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("ganframe: error: no trial of the sweep")
    assert "Traceback" not in result.stderr
    rows = json.loads((tmp_path / "out" / "trials.json").read_text())["trials"]
    assert len(rows) == 4 and all(row["state"] == "fail" and row["error"] for row in rows)  # 2 trials, each retried
    assert not (tmp_path / "out" / "best.toml").exists()


def test_jobs_runs_worker_processes(tmp_path):
    path = write_sweep(tmp_path, trials=4)
    result = ganframe("sweep", path, "--out", tmp_path / "out", "--jobs", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert trial_states(tmp_path / "out" / "study.db").count("COMPLETE") == 4
    workers = {row["worker"] for row in _user_attrs(tmp_path / "out" / "study.db", "worker")}
    assert len(workers) == 2  # two processes ran trials
    progress = [line for line in result.stdout.splitlines() if line.startswith("trial ") and "complete" in line]
    assert len(progress) == 4  # every trial's line, whichever process ran it


def _user_attrs(db: Path, key: str) -> list[dict]:
    with sqlite3.connect(db) as connection:
        return [
            {"number": number, key: json.loads(value)}
            for number, value in connection.execute(
                "SELECT t.number, a.value_json FROM trials t JOIN trial_user_attributes a ON a.trial_id = t.trial_id "
                "WHERE a.key = ?",
                (key,),
            )
        ]


def test_ctrl_c_stops_every_worker_and_a_restart_continues(tmp_path):
    path = write_sweep(tmp_path, trials=3, top='pruner = "none"', steps=4000, eval_every=2000)
    out = tmp_path / "out"
    sweep = subprocess.Popen(
        [sys.executable, "-m", "ganframe", "sweep", str(path), "--out", str(out), "--jobs", "2"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while trial_states(out / "study.db").count("RUNNING") < 2:
        assert sweep.poll() is None and time.monotonic() < deadline, "two trials never ran at once"
        time.sleep(0.05)
    time.sleep(0.5)
    os.killpg(sweep.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
    _, err = sweep.communicate(timeout=120)
    assert sweep.returncode == 130, err
    assert err.strip().splitlines()[-1].startswith("ganframe: error: interrupted (SIGINT)")
    assert "Traceback" not in err
    states = trial_states(out / "study.db")
    assert "RUNNING" not in states and "FAIL" in states  # interrupted trials failed, none left running
    errors = {row["number"]: row["error"] for row in _user_attrs(out / "study.db", "error")}
    assert all(errors[number] == "interrupted" for number, state in enumerate(states) if state == "FAIL")
    done = states.count("COMPLETE")
    again = ganframe("sweep", path, "--out", out, "--jobs", "1", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert trial_states(out / "study.db").count("COMPLETE") == 3 and done < 3


@pytest.mark.parametrize("warmup, stopped_at", [(0.0, 10), (0.5, 30)])
def test_pruning_stops_a_trial_early(tmp_path, monkeypatch, warmup, stopped_at):
    import optuna
    import tomllib

    from ganframe.sweep import parse_sweep
    from ganframe.sweep import run as sweep_run
    from ganframe.sweep.storage import default_storage

    document = tomllib.loads(write_sweep(tmp_path, trials=1, eval_every=10).read_text())
    spec = parse_sweep({**document, "pruner_warmup": warmup})

    class Always(optuna.pruners.BasePruner):
        def prune(self, study, trial):
            return True

    monkeypatch.setattr(optuna.pruners, "MedianPruner", Always)
    (tmp_path / "out").mkdir()
    sweep_run.run_worker(spec, tmp_path / "out", default_storage(tmp_path / "out"))
    assert trial_states(tmp_path / "out" / "study.db") == ["PRUNED"]
    report = json.loads((tmp_path / "out" / "trials" / "0000" / "seed-0" / "report.json").read_text())
    assert report["steps"] == stopped_at and not report["completed"]  # evaluations every 10 rounds of 50


def test_missing_optuna_says_what_to_install(tmp_path, monkeypatch, cli):
    monkeypatch.setitem(sys.modules, "optuna", None)
    result = cli("sweep", write_sweep(tmp_path))
    assert result.code == 2 and "pip install 'ganframe[sweep]'" in result.err


def test_the_same_sweep_file_gives_the_same_table(tmp_path):
    # one process: the same points (TPE seeded per trial from sampler_seed) and, trainings being
    # bit-identical on the CPU, the same values; another sampler_seed proposes other points
    path = write_sweep(tmp_path, trials=3, top='pruner = "none"\nbaseline = false')
    other = tmp_path / "other.toml"
    other.write_text(sweep_text(trials=3, top='pruner = "none"\nbaseline = false\nsampler_seed = 7'))
    tables = []
    for sweep, out in ((path, "a"), (path, "b"), (other, "c")):
        result = ganframe("sweep", sweep, "--out", tmp_path / out, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        rows = json.loads((tmp_path / out / "trials.json").read_text())["trials"]
        tables.append([(row["params"], row["values"]) for row in rows])
    assert tables[0] == tables[1]
    assert [params for params, _ in tables[0]] != [params for params, _ in tables[2]]


def test_a_base_config_outside_the_space_is_a_warning_and_no_base_trial(tmp_path):
    # the toy default's generator lr (5e-4) is below this range
    path = tmp_path / "sweep.toml"
    path.write_text(sweep_text(trials=2, top='pruner = "none"').replace("low = 1e-4", "low = 1e-3"))
    result = ganframe("sweep", path, "--out", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        "no base-config trial: the base config's generator.optimizer.lr = 0.0005 is outside the space "
        "(generator.optimizer.lr float [0.001, 0.01] log)"
    ) in result.stderr
    rows = json.loads((tmp_path / "out" / "trials.json").read_text())["trials"]
    assert len(rows) == 2 and not any(row["baseline"] for row in rows)
    assert "base config" not in result.stdout


def test_compare_to_baseline():
    from ganframe.errors import ConfigError
    from ganframe.sweep import parse_sweep
    from ganframe.sweep.results import compare_to_baseline

    def row(number, value, baseline=False, state="complete"):
        return {"number": number, "state": state, "value": value, "baseline": baseline}

    document = {
        "setup": "toy",
        "objective": "wasserstein",
        "seeds": [0, 1],
        "space": [{"key": "train.batch_size", "type": "int", "low": 8, "high": 64}],
    }
    minimize = parse_sweep(document)
    maximize = parse_sweep({**document, "direction": "maximize"})
    rows = [row(0, 2.0, baseline=True), row(1, 1.5), row(2, 0.5, state="pruned"), row(3, 3.0)]
    assert compare_to_baseline(rows, minimize, "b.toml") == (
        "the best trial is 25.0 % lower than the base config (trial 0: wasserstein = 2) on the sweep's seeds, "
        "where it was chosen; check it on others: ganframe train --config b.toml --seeds 2-6"
    )
    assert compare_to_baseline(rows, maximize, "b.toml").startswith("the best trial is 50.0 % higher than")
    tie = [row(0, 1.0, baseline=True), row(1, 1.0)]
    assert compare_to_baseline(tie, minimize) == "no trial beat the base config (trial 0: wasserstein = 1)"
    assert compare_to_baseline([row(0, 1.0), row(1, 2.0)], minimize) is None  # no base-config trial
    assert compare_to_baseline([row(0, None, baseline=True, state="fail"), row(1, 2.0)], minimize) is None
    assert parse_sweep({**document, "baseline": False}).baseline is False
    with pytest.raises(ConfigError, match="'baseline' must be true or false"):
        parse_sweep({**document, "baseline": "yes"})
    with pytest.raises(ConfigError, match="'pruner_warmup' must be a fraction"):
        parse_sweep({**document, "pruner_warmup": 1.5})
    with pytest.raises(ConfigError, match="'pruner' must be one of median, successive-halving, hyperband, none"):
        parse_sweep({**document, "pruner": "asha"})
