"""TensorBoard logging (logging.tensorboard = true): what the event files hold, and the errors."""

from __future__ import annotations

import logging
import sys

import pytest

import ganframe
from ganframe import Experiment

event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator",
    reason="needs the tensorboard extra: pip install 'ganframe[tensorboard]'",
)


def _events(run_dir):
    accumulator = event_accumulator.EventAccumulator(
        str(run_dir / "tensorboard"),
        size_guidance={event_accumulator.SCALARS: 0, event_accumulator.HISTOGRAMS: 0, event_accumulator.IMAGES: 0},
    )
    accumulator.Reload()
    return accumulator


def test_scalars_histograms_and_config(make_experiment, tmp_path):
    run = tmp_path / "run"
    make_experiment(logging__tensorboard=True, train__steps=6, logging__snapshots=3).fit(run)
    events = _events(run)
    tags = events.Tags()
    assert {"train/d_loss", "train/g_loss", "metrics/mean", "metrics/wasserstein"} <= set(tags["scalars"])
    rows = [row for row in (run / "metrics.jsonl").read_text().splitlines() if '"d_loss"' in row]
    import json

    logged = [(json.loads(row)["step"], json.loads(row)["d_loss"]) for row in rows]
    written = [(event.step, event.value) for event in events.Scalars("train/d_loss")]
    assert [step for step, _ in written] == [step for step, _ in logged]  # the same means as metrics.jsonl
    assert [value for _, value in written] == pytest.approx([value for _, value in logged], rel=1e-6)
    assert tags["histograms"] == ["samples/dim0"]
    assert [event.step for event in events.Histograms("samples/dim0")] == [0, 2, 4, 6]
    assert "config/text_summary" in tags["tensors"]


def test_image_grids(tmp_path):
    import ganframe_toy
    from test_plots import IMAGES, SquaresPlugin

    from ganframe.testing import fresh_plugins

    plugins = fresh_plugins(ganframe_toy, SquaresPlugin(), entry_points=False)
    run = tmp_path / "run"
    Experiment({**IMAGES, "logging": {"tensorboard": True}}, plugins=plugins).fit(run)
    events = _events(run)
    assert events.Tags()["histograms"] == []
    grids = events.Images("samples")
    assert [grid.step for grid in grids] == [0, 4, 8, 12]
    assert (grids[0].width, grids[0].height) == (82, 82)  # 8 x 8 tiles of 8 pixels, 2 apart


class _RoundAccuracy:
    """Records D's accuracy in every round, as the training loop hands it to plugins."""

    def __init__(self) -> None:
        self.values: list[float] = []

    @ganframe.hookimpl
    def on_step_end(self, logs) -> None:
        self.values.append(float(logs["d_accuracy"]))


def test_epoch_means(plugins, tmp_path):
    run = tmp_path / "run"
    rounds = _RoundAccuracy()
    Experiment.from_setup(
        "toy2d",
        "tutorial",
        seed=0,
        steps=500,
        device="cpu",
        plugins=plugins,
        callbacks=[rounds],
        overrides={"logging.tensorboard": True, "evaluation.samples": 1000},
    ).fit(run)
    accuracy = _events(run).Scalars("epoch/d_accuracy")
    assert [event.step for event in accuracy] == [1, 2]  # 250 rounds per epoch
    # Each epoch's scalar is the mean of its 250 rounds' accuracies (TensorBoard keeps float32).
    expected = [sum(rounds.values[:250]) / 250, sum(rounds.values[250:]) / 250]
    assert len(rounds.values) == 500 and expected[0] != expected[1]
    assert [event.value for event in accuracy] == pytest.approx(expected, rel=1e-6)


def test_off_by_default(make_experiment, tmp_path):
    make_experiment().fit(tmp_path / "run")
    assert not (tmp_path / "run" / "tensorboard").exists()


def test_missing_tensorboard_is_one_clear_error_before_any_write(make_experiment, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # as if it were not installed
    with pytest.raises(ganframe.ConfigError, match=r"pip install 'ganframe\[tensorboard\]'"):
        make_experiment(logging__tensorboard=True).fit(tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_missing_tensorboard_from_the_cli(cli, assert_usage_error, argv_for, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    line = assert_usage_error(cli(*argv_for(tmp_path / "run", extra=["--set", "logging.tensorboard=true"])))
    assert "ganframe[tensorboard]" in line


def test_without_a_run_directory_it_warns(make_experiment, caplog):
    with caplog.at_level(logging.WARNING, logger="ganframe"):
        make_experiment(logging__tensorboard=True).fit()
    assert "no run directory" in caplog.text
