"""An interrupted run, resumed from its checkpoint, ends bit for bit where an uninterrupted run ends."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest
import torch

import ganframe
from ganframe import Experiment, PluginError
from ganframe.testing import StopAt


class CrashAt:
    """Raises in round ``step``: the process dies between two checkpoints."""

    def __init__(self, step: int) -> None:
        self.step = step

    @ganframe.hookimpl
    def on_step_end(self, step):
        if step == self.step:
            raise RuntimeError("power cut")


class CtrlCAt:
    """Sends this process a real SIGINT after round ``step``."""

    def __init__(self, step: int) -> None:
        self.step = step

    @ganframe.hookimpl
    def on_step_end(self, step):
        if step == self.step:
            os.kill(os.getpid(), signal.SIGINT)


def state(run: Path) -> dict:
    return torch.load(run / "checkpoints" / "last.pt", weights_only=True)


def assert_same_training_state(a: dict, b: dict) -> None:
    assert a["networks"].keys() == b["networks"].keys() == a["optimizers"].keys()
    for role in a["networks"]:
        assert a["networks"][role].keys() == b["networks"][role].keys()
        assert all(torch.equal(a["networks"][role][name], b["networks"][role][name]) for name in a["networks"][role]), (
            role
        )
        for index, param_state in a["optimizers"][role]["state"].items():
            for name, value in param_state.items():
                assert torch.equal(value, b["optimizers"][role]["state"][index][name]), (role, index, name)
    assert a["step"] == b["step"] and a["real_draws"] == b["real_draws"]
    assert torch.equal(a["rng"][0]["noise"], b["rng"][0]["noise"])
    assert torch.equal(a["rng"][0]["data"], b["rng"][0]["data"])


def loss_rows(run: Path) -> list[dict]:
    return [row for row in map(json.loads, (run / "metrics.jsonl").read_text().splitlines()) if "metrics" not in row]


@pytest.fixture
def uninterrupted(make_experiment, tmp_path) -> tuple[Path, torch.Tensor]:
    run = tmp_path / "uninterrupted"
    experiment = make_experiment(train__steps=8, train__checkpoint_every=2)
    experiment.fit(run)
    return run, experiment.sample(200)


def test_stopping_halfway_and_resuming_matches_the_uninterrupted_run(make_experiment, uninterrupted, tmp_path):
    reference, reference_samples = uninterrupted
    run = tmp_path / "stopped"
    first = make_experiment(callbacks=[StopAt(4)], train__steps=8, train__checkpoint_every=2)
    report = first.fit(run)
    assert (report["steps"], report["completed"], state(run)["step"]) == (4, False, 4)

    resumed = Experiment.load(run)
    assert resumed.step == 4
    assert resumed.fit(run)["completed"] is True
    assert torch.equal(resumed.sample(200), reference_samples)
    assert_same_training_state(state(run), state(reference))
    assert loss_rows(run) == loss_rows(reference)


def test_a_crash_between_checkpoints_resumes_from_the_last_one(make_experiment, uninterrupted, tmp_path):
    reference, reference_samples = uninterrupted
    run = tmp_path / "crashed"
    with pytest.raises(PluginError, match="RuntimeError: power cut"):
        make_experiment(callbacks=[CrashAt(7)], train__steps=8, train__checkpoint_every=4).fit(run)
    assert state(run)["step"] == 4
    assert not (run / "report.json").exists()
    assert [row["step"] for row in loss_rows(run)] == [2, 4, 6]  # step 6 was logged after the checkpoint

    resumed = Experiment.load(run)
    assert resumed.step == 4
    resumed.fit(run)
    assert torch.equal(resumed.sample(200), reference_samples)
    assert_same_training_state(state(run), state(reference))
    # Rows logged after the checkpoint were dropped and written again: the file matches exactly.
    assert (run / "metrics.jsonl").read_text() == (reference / "metrics.jsonl").read_text()


def test_the_global_random_stream_continues_where_it_stopped(make_experiment, tmp_path, global_draws):
    whole = global_draws()
    make_experiment(callbacks=[whole], train__steps=6).fit(tmp_path / "whole")
    before, after = global_draws(), global_draws()
    make_experiment(callbacks=[before, StopAt(3)], train__steps=6).fit(tmp_path / "stopped")
    torch.rand(100)  # the caller's own use of the global generator in between changes nothing
    Experiment.load(tmp_path / "stopped", callbacks=[after]).fit(tmp_path / "stopped")
    assert before.draws + after.draws == whole.draws


def test_extending_a_finished_run_matches_training_longer_from_the_start(make_experiment, uninterrupted, tmp_path):
    reference, reference_samples = uninterrupted
    run = tmp_path / "short"
    make_experiment(train__steps=4, train__checkpoint_every=2).fit(run)
    longer = Experiment.load(run, steps=8)
    assert (longer.step, longer.config.train.steps) == (4, 8)
    longer.fit(run)
    assert torch.equal(longer.sample(200), reference_samples)
    assert_same_training_state(state(run), state(reference))


def test_a_data_set_resumes_in_the_same_order(make_experiment, tmp_path):
    examples = np.random.default_rng(0).normal(4.0, 1.25, size=(40, 1)).astype(np.float32)
    np.save(tmp_path / "examples.npy", examples)
    data = {
        "data": {"name": "file", "path": str(tmp_path / "examples.npy")},
        "train.steps": 7,
        "train.checkpoint_every": 1,
    }  # 2 full batches of 16 per epoch: 3 epochs and more
    whole = make_experiment(overrides=data)
    whole.fit(tmp_path / "whole")
    with pytest.raises(PluginError):
        make_experiment(callbacks=[CrashAt(4)], overrides=data).fit(tmp_path / "crashed")
    resumed = Experiment.load(tmp_path / "crashed")
    assert resumed.step == 3
    resumed.fit(tmp_path / "crashed")
    assert_same_training_state(state(tmp_path / "crashed"), state(tmp_path / "whole"))
    assert state(tmp_path / "whole")["real_draws"] == 7


def test_ctrl_c_on_the_command_line_stops_cleanly_and_resume_matches_an_uninterrupted_run(
    cli, argv_for, trained_run, monkeypatch, tmp_path
):
    from ganframe import cli as cli_module

    run = tmp_path / "interrupted"
    # Python's own handler, as in a terminal (the tests may run in the background, where SIGINT is
    # ignored, and ganframe leaves ignored signals ignored)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    handler_before = signal.getsignal(signal.SIGINT)
    monkeypatch.setattr(cli_module, "_console_callbacks", lambda args, is_main: [CtrlCAt(4)])
    stopped = cli(*argv_for(run))  # the same command that trained `trained_run` for 6 steps
    assert stopped.code == 130
    assert stopped.err.splitlines()[-1] == f"ganframe: stopped at step 4; continue with: ganframe train --resume {run}"
    assert (
        "ganframe: SIGINT: stopping after this round and writing a checkpoint (send it again to abort)" in stopped.err
    )
    assert state(run)["step"] == 4
    assert json.loads((run / "report.json").read_text())["completed"] is False

    monkeypatch.setattr(cli_module, "_console_callbacks", lambda args, is_main: [])
    resumed = cli("train", "--resume", run, "--quiet")
    assert (resumed.code, resumed.out, resumed.err) == (0, f"{run}\n", "")
    assert json.loads((run / "report.json").read_text())["completed"] is True
    assert_same_training_state(state(run), state(trained_run))
    assert loss_rows(run) == loss_rows(trained_run)  # stopped on a logging step: the same rows
    assert torch.equal(Experiment.load(run).sample(100), Experiment.load(trained_run).sample(100))
    assert signal.getsignal(signal.SIGINT) is handler_before  # the handler was put back


def test_resume_with_more_steps_on_the_command_line(cli, run_copy):
    result = cli("train", "--resume", run_copy, "--steps", "8", "--quiet")
    assert result.code == 0
    assert state(run_copy)["step"] == 8
    assert "steps = 8" in (run_copy / "config.toml").read_text()
    report = json.loads((run_copy / "report.json").read_text())
    assert (report["steps"], report["steps_planned"], report["completed"]) == (8, 8, True)
    assert [row["step"] for row in loss_rows(run_copy)] == [2, 4, 6, 8]
