"""SIGTERM, SIGHUP and Ctrl-C stop a run without losing it, at any moment: while ganframe starts,
while it trains (stop after the round, checkpoint, exit 128 + the signal), and once training is over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import ganframe
from ganframe import stopping

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")


def checkpoint_state(run: Path) -> dict:
    return torch.load(run / "checkpoints" / "last.pt", weights_only=True)


def same_networks(a: dict, b: dict) -> bool:
    return all(
        torch.equal(a["networks"][role][name], b["networks"][role][name])
        for role in a["networks"]
        for name in a["networks"][role]
    )


@pytest.fixture
def default_sigint():
    """Python's own SIGINT handler, as in a terminal (SIGINT is ignored when tests run in the background)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


#: The planned number of steps must not change the updates: the run is stopped early and resumed
#: with another plan (the preset's learning rates decay linearly over the plan).
CONSTANT_LR = ["--set", "train.lr_decay=constant"]


def start_training(out: Path, tiny_cli: list[str], *extra: str) -> subprocess.Popen:
    """A real ``ganframe train`` process, long enough to be stopped, printing progress every 0.2 s."""
    command = [
        sys.executable,
        "-m",
        "ganframe",
        "train",
        "toy",
        "--seed",
        "3",
        "--steps",
        "1000000",
        "--out",
        str(out),
        *tiny_cli,
        *CONSTANT_LR,
        "--progress-every",
        "0.2",
        *extra,
    ]
    command.remove("--quiet")  # progress lines are how the test knows that training runs
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the signal is for it alone
        preexec_fn=_default_stop_signals,
    )


def _default_stop_signals() -> None:
    """In the child: the stop signals handled as by default, even when the tests themselves run under
    ``nohup`` (whose ignored SIGHUP a child inherits, and ganframe rightly leaves ignored)."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def wait_for_training(process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if "steps/s" in line:
            return
        if not line and process.poll() is not None:
            raise AssertionError(f"ganframe exited early with {process.returncode}: {process.stderr.read()}")
    process.kill()
    raise AssertionError("no progress line")


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_real_stop_signal_stops_after_the_round_and_the_run_resumes_byte_for_byte(
    signum, status, tiny_cli, cli, tmp_path
):
    run = tmp_path / "stopped"
    process = start_training(run, tiny_cli)
    wait_for_training(process)
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    name = signal.Signals(signum).name
    assert process.returncode == status, err
    assert f"ganframe: {name}: stopping after this round and writing a checkpoint" in err
    assert "Traceback" not in err
    stopped_at = checkpoint_state(run)["step"]
    assert (
        err.splitlines()[-1] == f"ganframe: stopped at step {stopped_at}; continue with: ganframe train --resume {run}"
    )
    report = json.loads((run / "report.json").read_text())
    assert (report["steps"], report["completed"]) == (stopped_at, False)

    # Continue it to stopped_at + 7 steps, and train the same run in one go: the same bytes.
    total = str(stopped_at + 7)
    assert cli("train", "--resume", run, "--steps", total, "--quiet").code == 0
    whole = tmp_path / "whole"
    argv = ["train", "toy", "--seed", "3", "--steps", total, "--out", whole, *tiny_cli, *CONSTANT_LR]
    assert cli(*argv).code == 0
    assert same_networks(checkpoint_state(run), checkpoint_state(whole))
    for directory in (run, whole):
        assert cli("sample", directory, "-n", "500", "-o", directory / "samples.npy").code == 0
    assert (run / "samples.npy").read_bytes() == (whole / "samples.npy").read_bytes()
    assert np.load(run / "samples.npy").shape == (500, 1)


def test_ctrl_c_while_ganframe_starts_is_one_line_and_status_130(tiny_cli, tmp_path):
    """A real SIGINT 0.3 s into ``main`` (loading PyTorch and plugins): no traceback."""
    script = (
        "import os, signal, sys, threading\n"
        "from ganframe.cli import main\n"
        "threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()\n"
        f"sys.exit(main(['train', 'toy', '--steps', '1000000', '--out', {str(tmp_path / 'run')!r}, "
        "'--quiet']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, start_new_session=True
    )
    assert result.returncode == 130, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("ganframe: ") and "SIGINT" in lines[-1], result.stderr


def test_a_stop_signal_during_start_up_in_process_is_one_line(cli, monkeypatch, tmp_path):
    from ganframe import cli as cli_module
    from ganframe.stopping import Terminated

    def loading_plugins(*args, **kwargs):
        raise Terminated(signal.SIGTERM)  # what the handler raises when SIGTERM comes in here

    monkeypatch.setattr(cli_module, "_plugins", loading_plugins)
    result = cli("train", "toy", "--out", tmp_path / "run", "--quiet")
    assert (result.code, result.err) == (143, "ganframe: error: interrupted (SIGTERM)\n")
    assert not (tmp_path / "run").exists()


class SignalAt:
    """Sends this process real signals from inside a hook: ``signals`` after round ``step``, or at
    the final evaluation (``step=None``)."""

    def __init__(self, step: int | None, *signals: int) -> None:
        self.step, self.signals = step, signals

    @ganframe.hookimpl
    def on_step_end(self, step):
        if step == self.step:
            self.send()

    @ganframe.hookimpl
    def on_evaluation(self, experiment, step):
        if self.step is None and step == experiment.config.train.steps:
            self.send()

    def send(self):
        for signum in self.signals:
            os.kill(os.getpid(), signum)


def test_a_second_signal_aborts_at_once_and_keeps_the_last_checkpoint(
    cli, argv_for, monkeypatch, tmp_path, default_sigint
):
    from ganframe import cli as cli_module

    run = tmp_path / "run"
    monkeypatch.setattr(
        cli_module, "_console_callbacks", lambda *args, **kwargs: [SignalAt(5, signal.SIGTERM, signal.SIGINT)]
    )
    result = cli(*argv_for(run, steps=8, extra=["--set", "train.checkpoint_every=2"]))
    assert result.code == 130
    assert result.err.splitlines()[-1] == (
        f"ganframe: error: interrupted (SIGINT); the checkpoint is kept: continue with: ganframe train --resume {run}"
    )
    assert checkpoint_state(run)["step"] == 4  # the last one written before the abort, intact
    monkeypatch.setattr(cli_module, "_console_callbacks", lambda *args, **kwargs: [])
    assert cli("train", "--resume", run, "--quiet").code == 0
    assert checkpoint_state(run)["step"] == 8


def test_a_signal_after_training_interrupts_evaluation_and_resume_writes_the_report(
    cli, argv_for, trained_run, monkeypatch, tmp_path, default_sigint
):
    """Training is over and its checkpoint written: Ctrl-C stops the evaluation (not "stopping after
    this round" and exit 0); --resume then evaluates and writes the report, nothing trained again."""
    from ganframe import cli as cli_module

    run = tmp_path / "run"
    monkeypatch.setattr(cli_module, "_console_callbacks", lambda *args, **kwargs: [SignalAt(None, signal.SIGINT)])
    result = cli(*argv_for(run))  # the command that trained `trained_run`
    assert result.code == 130
    assert "stopping after this round" not in result.err
    assert result.err == (
        f"ganframe: error: interrupted (SIGINT); the checkpoint is kept: continue with: ganframe train --resume {run}\n"
    )
    assert checkpoint_state(run)["step"] == 6
    assert not (run / "report.json").exists()

    monkeypatch.setattr(cli_module, "_console_callbacks", lambda *args, **kwargs: [])
    finished = cli("train", "--resume", run, "--quiet")
    assert finished.code == 0, finished.err
    report = json.loads((run / "report.json").read_text())
    assert (report["steps"], report["completed"]) == (6, True)
    assert report["metrics"] == json.loads((trained_run / "report.json").read_text())["metrics"]
    assert same_networks(checkpoint_state(run), checkpoint_state(trained_run))
    again = cli("train", "--resume", run, "--quiet")
    assert again.code == 2 and "already finished 6 steps" in again.err


def test_an_ignored_signal_stays_ignored(make_experiment, tmp_path):
    """``nohup`` ignores SIGHUP so that a run outlives its terminal: ganframe does not undo that."""
    from ganframe import stopping

    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with stopping.handling(stopping.raise_terminated):
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is stopping.raise_terminated
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, before)


def test_request_stop_says_whether_it_will_be_honoured(make_experiment):
    answers = []

    class Ask:
        @ganframe.hookimpl
        def on_experiment_start(self, experiment):
            answers.append(("start", experiment.request_stop()))

        @ganframe.hookimpl
        def on_train_end(self, experiment):
            answers.append(("final checkpoint", experiment.request_stop()))

        @ganframe.hookimpl
        def on_evaluation(self, experiment, step):
            if step == experiment.config.train.steps:
                answers.append(("evaluation", experiment.request_stop()))

    experiment = make_experiment(callbacks=[Ask()])
    assert experiment.request_stop() is False  # not training: nothing to stop
    experiment.fit()
    assert answers == [("start", False), ("final checkpoint", True), ("evaluation", False)]


def test_raise_once_raises_at_the_first_signal_and_ignores_the_next():
    # a sweep's worker records its interrupted trial while Ctrl-C arrives a second time
    handler = stopping.RaiseOnce()
    with pytest.raises(stopping.Terminated) as caught:
        handler(signal.SIGINT, None)
    assert caught.value.signum == signal.SIGINT and caught.value.exit_status == 130
    handler(signal.SIGTERM, None)  # ignored: the first one is being handled
    handler(signal.SIGINT, None)
    assert handler.signum == signal.SIGINT


def test_an_error_that_follows_a_stop_signal_is_reported_as_the_interruption(cli, monkeypatch):
    """A signal inside the import of a C extension can come out as that import failing (a half-made
    module, then an AttributeError): the command still says it was interrupted, with 130."""
    from ganframe import cli as cli_module

    def swallowed_then_broken(args):
        try:
            stopping.raise_terminated(signal.SIGINT, None)
        except KeyboardInterrupt:
            pass  # what a C extension's import did with it
        raise AttributeError("module 'numpy._core' has no attribute '_multiarray_umath'")

    monkeypatch.setitem(cli_module.COMMANDS, "list", swallowed_then_broken)
    result = cli("list")
    assert result.code == 130 and result.err.strip() == "ganframe: error: interrupted (SIGINT)"
    # the next command starts afresh: its own error is its own
    monkeypatch.setitem(cli_module.COMMANDS, "list", lambda args: 1 / 0)
    result = cli("list")
    assert result.code == 1 and "unexpected ZeroDivisionError" in result.err
