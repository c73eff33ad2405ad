"""Nothing lost: no command writes over a run's files, one writer per run directory, no dead ends
after a crash, damaged checkpoints are reported, and a failing final metric keeps the run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import ganframe
from ganframe import Experiment
from ganframe.runlock import RunLock


def checkpoint_state(run: Path) -> dict:
    return torch.load(run / "checkpoints" / "last.pt", weights_only=True)


# -- 1: no command writes over a run's own files ----------------------------------------------------
@pytest.mark.parametrize(
    "target",
    [
        "checkpoints/last.pt",
        "config.toml",
        "metrics.jsonl",
        "report.json",
        "plots/losses.png",
        "checkpoints/other.html",
    ],
)
def test_report_refuses_to_write_over_the_runs_own_files(target, cli, run_copy, assert_usage_error, snapshot_of):
    before = snapshot_of(run_copy)
    line = assert_usage_error(cli("report", run_copy, "-o", run_copy / target))
    assert "is one of the files of the run" in line
    assert snapshot_of(run_copy) == before


def test_report_writes_its_own_page_and_pages_elsewhere(cli, run_copy, tmp_path):
    assert cli("report", run_copy, "-o", run_copy / "report.html").code == 0
    assert cli("report", run_copy, "-o", run_copy / "copy.html").code == 0
    assert cli("report", run_copy, "-o", tmp_path / "elsewhere.html").code == 0


@pytest.mark.parametrize("target", ["config.toml", "checkpoints/last.npy", "report.json"])
def test_sample_refuses_to_write_over_the_runs_own_files(target, cli, run_copy, assert_usage_error, snapshot_of):
    before = snapshot_of(run_copy)
    output = run_copy / (target if target.endswith(".npy") else target + ".npy")
    if not target.endswith(".npy"):  # a run file under another name: a symlink to it
        output.symlink_to(run_copy / target)
        before = snapshot_of(run_copy)
    assert "is one of the files of the run" in assert_usage_error(cli("sample", run_copy, "-n", "5", "-o", output))
    assert snapshot_of(run_copy) == before


# -- 5: one writer per run directory -----------------------------------------------------------------
def test_a_run_being_written_cannot_be_resumed_at_the_same_time(cli, run_copy, assert_usage_error, snapshot_of):
    before = snapshot_of(run_copy)
    with RunLock(run_copy):  # as a training process holds it
        line = assert_usage_error(cli("train", "--resume", run_copy, "--steps", "8", "--quiet"))
        assert f"pid {os.getpid()}" in line and "is in use by another ganframe process" in line
        assert {k: v for k, v in snapshot_of(run_copy).items() if k != ".lock"} == before
    assert not (run_copy / ".lock").exists()
    assert cli("train", "--resume", run_copy, "--steps", "8", "--quiet").code == 0


def test_a_lock_left_by_a_killed_process_is_taken_over(cli, run_copy):
    """A process holding the lock is killed with SIGKILL: its .lock file stays, its lock does not."""
    script = (
        "import os, sys\nfrom ganframe.runlock import RunLock\n"
        f"RunLock({str(run_copy)!r}).acquire()\nprint('locked', flush=True)\nos.kill(os.getpid(), 9)\n"
    )
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert killed.returncode == -9 and killed.stdout == "locked\n"
    assert (run_copy / ".lock").read_text().startswith("pid ")
    result = cli("train", "--resume", run_copy, "--steps", "8", "--quiet")
    assert result.code == 0, result.err
    assert not (run_copy / ".lock").exists()


def test_two_processes_cannot_hold_one_lock(tmp_path):
    first = RunLock(tmp_path / "run")
    first.acquire()
    script = f"from ganframe.runlock import RunLock\nRunLock({str(tmp_path / 'run')!r}).acquire()\n"
    second = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert second.returncode == 1 and "is in use by another ganframe process" in second.stderr
    first.release()
    assert subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60).returncode == 0


# -- 6: no dead ends after a crash ----------------------------------------------------------------
def test_a_run_killed_before_its_first_checkpoint_resumes_from_step_0(
    cli, argv_for, trained_run, tmp_path, assert_usage_error
):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.toml").write_text((trained_run / "config.toml").read_text())  # and then: kill -9
    (run / "metrics.jsonl").write_text('{"step": 2, "d_loss": 1.0}\n{"step": 4, "d_lo')
    line = assert_usage_error(cli(*argv_for(run)))
    assert "continue a run there with --resume" in line
    resumed = cli("train", "--resume", run, "--quiet")
    assert resumed.code == 0, resumed.err
    assert all(
        torch.equal(checkpoint_state(run)["networks"][role][name], value)
        for role, state in checkpoint_state(trained_run)["networks"].items()
        for name, value in state.items()
    )
    assert (run / "metrics.jsonl").read_text() == (trained_run / "metrics.jsonl").read_text()


def test_sample_and_evaluate_still_need_a_checkpoint(cli, trained_run, tmp_path, assert_usage_error):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.toml").write_text((trained_run / "config.toml").read_text())
    assert "holds no checkpoint" in assert_usage_error(cli("evaluate", run))
    assert "holds no checkpoint" in assert_usage_error(cli("sample", run, "-n", "3", "-o", tmp_path / "s.npy"))


def test_orphan_temporary_files_of_a_killed_writer_are_removed(cli, run_copy):
    orphans = [
        run_copy / "checkpoints" / ".last.pt.k2j4_x9a",
        run_copy / ".config.toml.abcdefgh",
        run_copy / "plots" / ".losses.png.0a1b2c3d",
    ]
    for orphan in orphans:
        orphan.write_bytes(b"half a file")
    keep = run_copy / "checkpoints" / "notes.txt"
    keep.write_text("mine")
    assert cli("train", "--resume", run_copy, "--steps", "8", "--quiet").code == 0
    assert not any(orphan.exists() for orphan in orphans)
    assert keep.read_text() == "mine"


# -- 3: the final checkpoint comes before the final evaluation ------------------------------------
class FailingMetricPlugin:
    """A metric that fails, and one that works."""

    @ganframe.hookimpl
    def register_metrics(self, register):
        def failing(config, context):
            def metric(samples, context):
                raise RuntimeError("out of memory")

            return metric

        register("fails", failing)
        register("mean-only", lambda config, context: lambda samples, context: {"mean": samples.mean()})


def test_a_failing_final_metric_keeps_the_run_resumable_and_evaluable(tiny, tmp_path):
    import ganframe_toy

    from ganframe.testing import fresh_plugins

    plugins = fresh_plugins(ganframe_toy, FailingMetricPlugin(), entry_points=False)
    tiny["evaluation"]["metrics"] = ["fails"]
    run = tmp_path / "run"
    with pytest.raises(ganframe.PluginError, match=r"metric 'fails' .* failed: RuntimeError: out of memory"):
        Experiment.from_dict(tiny, plugins=plugins).fit(run)
    assert checkpoint_state(run)["step"] == 6  # the training is kept
    loaded = Experiment.load(run, plugins=plugins)
    assert loaded.step == 6
    assert set(loaded.evaluate(metrics=["mean-only"])) == {"mean"}


# -- 10 and 7: damaged checkpoints ----------------------------------------------------------------
def test_a_flipped_bit_in_a_checkpoint_is_detected(cli, run_copy, assert_usage_error):
    path = run_copy / "checkpoints" / "last.pt"
    content = checkpoint_state(run_copy)
    assert "sha256" in content
    weights = content["networks"]["generator"]
    name = next(iter(weights))
    weights[name].view(-1)[0] = torch.nextafter(weights[name].view(-1)[0], torch.tensor(1e9))  # one bit or so
    torch.save(content, path)  # a well-formed file whose contents changed: the checksum no longer fits
    line = assert_usage_error(cli("sample", run_copy, "-n", "3", "-o", run_copy.parent / "s.npy"))
    assert "is damaged: its contents do not match its checksum" in line


def test_every_flipped_byte_of_a_checkpoint_is_reported_not_loaded(cli, run_copy, assert_usage_error):
    import random

    path = run_copy / "checkpoints" / "last.pt"
    original = path.read_bytes()
    rng = random.Random(0)
    for position in rng.sample(range(len(original)), 40):
        damaged = bytearray(original)
        damaged[position] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(damaged))
        result = cli("evaluate", run_copy, "--samples", "50")
        if result.code == 0:  # a byte torch does not read (zip padding, an unused header field)
            assert Experiment.load(run_copy).state_dict()["step"] == 6
            continue
        assert_usage_error(result)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda state: state.pop("networks"), "is incomplete: it has no 'networks'"),
        (lambda state: state.pop("rng"), "is incomplete: it has no 'rng'"),
        (lambda state: state.update(step="six"), "'step' holds a str"),
        (lambda state: state.update(networks=[1, 2]), "'networks' holds a list"),
        (lambda state: state["optimizers"].update(generator=3), "optimizers['generator'] holds a int"),
        (lambda state: state["optimizers"].pop("generator"), "not of the same roles"),
        (lambda state: state["rng"][0].pop("noise"), "random states of process 0 are incomplete"),
        (lambda state: state["networks"]["generator"].popitem(), "does not fit the networks its config builds"),
        (lambda state: state["optimizers"]["generator"].pop("param_groups"), "holds no optimizer state"),
    ],
)
def test_checkpoints_with_missing_or_wrong_typed_keys_are_one_line(change, message, cli, run_copy, assert_usage_error):
    from ganframe.checkpoint import CHECKSUM

    state = checkpoint_state(run_copy)
    state.pop(CHECKSUM)  # as a hand-made or older checkpoint would be
    change(state)
    torch.save(state, run_copy / "checkpoints" / "last.pt")
    for argv in (("train", "--resume", run_copy, "--steps", "8"), ("evaluate", run_copy)):
        assert message in assert_usage_error(cli(*argv))


def test_resuming_after_changing_the_optimizer_is_one_line(cli, run_copy, assert_usage_error, snapshot_of):
    import tomli_w

    from ganframe.config import read_toml

    config = read_toml(run_copy / "config.toml")
    assert config["generator"]["optimizer"]["name"] == "adam"
    config["generator"]["optimizer"] = {"name": "sgd", "lr": 0.01}
    (run_copy / "config.toml").write_text(tomli_w.dumps(config))
    before = snapshot_of(run_copy)
    line = assert_usage_error(cli("train", "--resume", run_copy, "--steps", "8"))
    assert "was trained with another generator optimizer than 'sgd'" in line
    assert snapshot_of(run_copy) == before


def test_sample_refuses_to_write_into_another_run(cli, trained_run, run_copy, assert_usage_error, snapshot_of):
    before = snapshot_of(run_copy)
    line = assert_usage_error(cli("sample", trained_run, "-n", "5", "-o", run_copy / "checkpoints" / "last.pt"))
    assert f"is one of the files of the run {str(run_copy.resolve())!r}" in line
    assert snapshot_of(run_copy) == before


def test_a_checkpoint_that_is_not_a_file_is_not_trained_over(cli, run_copy, assert_usage_error, snapshot_of):
    (run_copy / "checkpoints" / "last.pt").unlink()
    (run_copy / "checkpoints" / "last.pt").mkdir()
    before = snapshot_of(run_copy)
    line = assert_usage_error(cli("train", "--resume", run_copy, "--steps", "8"))
    assert line.endswith("last.pt' is not a file; restore the checkpoint from a copy or train again")
    assert snapshot_of(run_copy) == before


def test_report_of_a_damaged_summary_is_one_line(cli, tmp_path, assert_usage_error):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "summary.json").write_text('{"runs": 5, "metrics": []}')
    line = assert_usage_error(cli("report", tmp_path / "seeds"))
    assert "its summary.json is damaged" in line


def test_a_run_directory_that_is_not_utf8_is_printed_as_given(tmp_path, tiny_cli):
    out = os.fsencode(tmp_path) + b"/run-\xff"
    result = subprocess.run(
        [
            os.fsencode(sys.executable),
            b"-m",
            b"ganframe",
            b"train",
            b"toy",
            b"--steps",
            b"2",
            b"--out",
            out,
            *map(os.fsencode, tiny_cli),
        ],
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == out + b"\n"
    assert os.path.isfile(out + b"/checkpoints/last.pt")


def test_list_of_an_empty_kind_is_an_error_not_every_kind(cli, assert_usage_error):
    assert assert_usage_error(cli("list", "")).startswith("ganframe: error: unknown kind ''; available: ")
