"""train.d_accuracy (D's accuracy in the logs) and train.epoch_logs (per-epoch means, on_epoch_end)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import ganframe
from ganframe import ConfigError, Experiment
from ganframe.components import says_real
from ganframe.testing import fresh_plugins


@pytest.fixture
def points(tmp_path) -> Path:
    """64 two-dimensional points in a .npy file: a finite data set for the built-in ``file`` source."""
    path = tmp_path / "points.npy"
    np.save(path, np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32))
    return path


def on_points(points: Path, plugins, callbacks=(), discriminator=None, **train) -> Experiment:
    raw = {
        "seed": 0, "device": "cpu", "data": {"name": "file", "path": str(points)},
        "noise": {"name": "normal", "dim": 2}, "generator": {"name": "mlp", "hidden": [8]},
        "discriminator": discriminator or {"name": "mlp", "hidden": [8]},
        "train": {"steps": 8, "batch_size": 16, "log_every": 2, **train},
    }
    return Experiment.from_dict(raw, plugins=plugins, callbacks=callbacks)


class Recorder:
    def __init__(self) -> None:
        self.steps: list[dict[str, float]] = []
        self.epochs: list[tuple[int, int, dict[str, float]]] = []

    @ganframe.hookimpl
    def on_step_end(self, logs):
        self.steps.append({name: float(value) for name, value in logs.items()})

    @ganframe.hookimpl
    def on_epoch_end(self, step, epoch, logs):
        self.epochs.append((step, epoch, dict(logs)))


# -- D's accuracy ---------------------------------------------------------------------------------
def test_says_real_reads_one_score_or_two_logits():
    class D(torch.nn.Module):
        def __init__(self, output):
            super().__init__()
            self.output = output

    logits = torch.tensor([[0.5], [-0.1], [0.0]])
    assert says_real(D("logits"), logits).tolist() == [True, False, False]
    assert says_real(D("probabilities"), torch.tensor([0.7, 0.5, 0.2])).tolist() == [True, False, False]
    two = torch.tensor([[0.0, 1.0], [2.0, -1.0], [0.3, 0.3]])  # class 1 is real; a tie counts as fake
    assert says_real(D("logits"), two).tolist() == [True, False, False]
    with pytest.raises(ConfigError, match="from 3 logits per example; train.d_accuracy needs one score or two"):
        says_real(D("logits"), torch.zeros(4, 3))


class SignPlugin:
    """A discriminator whose logit is the first feature: it calls x real when x[0] > 0."""

    @ganframe.hookimpl
    def register_discriminators(self, register):
        def make(config, context):
            linear = torch.nn.Linear(2, 1)
            with torch.no_grad():
                linear.weight.copy_(torch.tensor([[1.0, 0.0]]))
                linear.bias.zero_()
            return linear

        register("sign-of-first", make)


def test_d_accuracy_counts_what_d_says_before_its_update(points):
    plugins = fresh_plugins(SignPlugin(), entry_points=False)
    experiment = on_points(points, plugins, discriminator={"name": "sign-of-first"}, d_accuracy=True)
    trainer = experiment.trainer
    real = torch.tensor([[1.0, 0.0], [2.0, 5.0], [-1.0, 0.0], [3.0, 0.0]])  # 3 of 4 called real
    fake = torch.tensor([[-1.0, 0.0], [1.0, 0.0], [2.0, 0.0], [-3.0, 0.0]])  # 2 of 4 called fake
    trainer.discriminator_step(real, fake)
    logs = trainer.take_logs()
    assert {name: float(value) for name, value in logs.items()} == {
        "d_accuracy": 5 / 8, "d_accuracy_real": 0.75, "d_accuracy_fake": 0.5}
    assert trainer.take_logs() == {}  # counted afresh after every call


def test_d_accuracy_is_logged_and_leaves_training_unchanged(points, plugins):
    recorder = Recorder()
    judged = on_points(points, plugins, callbacks=[recorder], d_accuracy=True)
    judged.fit()
    plain = on_points(points, plugins)
    plain.fit()
    assert torch.equal(judged.sample(100), plain.sample(100))
    for logs in recorder.steps:
        assert {"d_accuracy", "d_accuracy_real", "d_accuracy_fake"} <= set(logs)
        assert 0 <= logs["d_accuracy_real"] <= 1 and 0 <= logs["d_accuracy_fake"] <= 1
        assert logs["d_accuracy"] == pytest.approx((logs["d_accuracy_real"] + logs["d_accuracy_fake"]) / 2)


def test_a_discriminator_without_a_verdict_is_rejected_before_training(points, plugins):
    with pytest.raises(ConfigError, match="from 3 logits per example; train.d_accuracy needs"):
        on_points(points, plugins, discriminator={"name": "mlp", "hidden": [8], "outputs": 3}, d_accuracy=True)


# -- per-epoch means -----------------------------------------------------------------------------
def test_epoch_logs_hold_the_mean_of_each_epochs_rounds(points, plugins, tmp_path):
    recorder = Recorder()
    run = tmp_path / "run"
    report = on_points(points, plugins, callbacks=[recorder], d_accuracy=True, epoch_logs=True).fit(run)
    # 64 points in batches of 16: 4 rounds an epoch, 8 rounds = 2 epochs
    assert [(step, epoch) for step, epoch, _ in recorder.epochs] == [(4, 1), (8, 2)]
    for (step, epoch, means), rounds in zip(recorder.epochs, (recorder.steps[:4], recorder.steps[4:])):
        assert set(means) == {"d_loss", "g_loss", "d_accuracy", "d_accuracy_real", "d_accuracy_fake"}
        for name, mean in means.items():
            assert mean == pytest.approx(np.mean([logs[name] for logs in rounds]))
    assert report["epochs"] == [{"epoch": epoch, "step": step, **means} for step, epoch, means in recorder.epochs]
    assert json.loads((run / "report.json").read_text())["epochs"] == report["epochs"]
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [row for row in rows if "epoch" in row] == [
        {"step": step, "epoch": epoch, "logs": means} for step, epoch, means in recorder.epochs]


def test_without_epoch_logs_there_are_no_epochs(points, plugins):
    recorder = Recorder()
    report = on_points(points, plugins, callbacks=[recorder]).fit()
    assert recorder.epochs == [] and "epochs" not in report


def test_epoch_logs_need_a_finite_data_set(make_experiment):
    with pytest.raises(ConfigError, match="train.epoch_logs needs a finite data set, but data source 'gaussian-1d'"):
        make_experiment(train__epoch_logs=True)


def test_a_resumed_run_keeps_the_open_epochs_sums(points, plugins, tmp_path):
    whole = on_points(points, plugins, epoch_logs=True).fit(tmp_path / "whole")
    on_points(points, plugins, epoch_logs=True, steps=6).fit(tmp_path / "halves")  # stops mid-epoch 2
    resumed = Experiment.load(tmp_path / "halves", steps=8, plugins=plugins).fit(tmp_path / "halves")
    assert resumed["epochs"] == whole["epochs"] and len(whole["epochs"]) == 2
