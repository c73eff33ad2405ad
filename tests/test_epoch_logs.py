"""train.epoch_logs: per-epoch means of the logged values, on_epoch_end, report.json and resume."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import ganframe
from ganframe import ConfigError, Experiment


@pytest.fixture
def points(tmp_path) -> Path:
    """64 two-dimensional points in a .npy file: a finite data set for the built-in ``file`` source."""
    path = tmp_path / "points.npy"
    np.save(path, np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32))
    return path


def on_points(points: Path, plugins, callbacks=(), discriminator=None, **train) -> Experiment:
    raw = {
        "seed": 0,
        "device": "cpu",
        "data": {"name": "file", "path": str(points)},
        "noise": {"name": "normal", "dim": 2},
        "generator": {"name": "mlp", "hidden": [8]},
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


# -- per-epoch means -----------------------------------------------------------------------------
def test_epoch_logs_hold_the_mean_of_each_epochs_rounds(points, plugins, tmp_path):
    recorder = Recorder()
    run = tmp_path / "run"
    report = on_points(points, plugins, callbacks=[recorder], epoch_logs=True).fit(run)
    # 64 points in batches of 16: 4 rounds an epoch, 8 rounds = 2 epochs
    assert [(step, epoch) for step, epoch, _ in recorder.epochs] == [(4, 1), (8, 2)]
    for (_step, _epoch, means), rounds in zip(recorder.epochs, (recorder.steps[:4], recorder.steps[4:])):
        assert set(means) == {"d_loss", "g_loss"}
        for name, mean in means.items():
            assert mean == pytest.approx(np.mean([logs[name] for logs in rounds]))
    assert report["epochs"] == [{"epoch": epoch, "step": step, **means} for step, epoch, means in recorder.epochs]
    assert json.loads((run / "report.json").read_text())["epochs"] == report["epochs"]
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [row for row in rows if "epoch" in row] == [
        {"step": step, "epoch": epoch, "logs": means} for step, epoch, means in recorder.epochs
    ]


def test_without_epoch_logs_there_are_no_epochs(points, plugins):
    recorder = Recorder()
    report = on_points(points, plugins, callbacks=[recorder]).fit()
    assert recorder.epochs == [] and "epochs" not in report


def test_epoch_logs_need_a_finite_data_set(make_experiment):
    with pytest.raises(ConfigError, match=r"train.epoch_logs needs a finite data set, but data source 'toy-1d'"):
        make_experiment(train__epoch_logs=True)


def test_a_resumed_run_keeps_the_open_epochs_sums(points, plugins, tmp_path):
    whole = on_points(points, plugins, epoch_logs=True).fit(tmp_path / "whole")
    on_points(points, plugins, epoch_logs=True, steps=6).fit(tmp_path / "halves")  # stops mid-epoch 2
    resumed = Experiment.load(tmp_path / "halves", steps=8, plugins=plugins).fit(tmp_path / "halves")
    assert resumed["epochs"] == whole["epochs"] and len(whole["epochs"]) == 2
