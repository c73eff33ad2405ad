"""Figures in RUN_DIR/plots: which ones each kind of data gets, what they hold, that they change
nothing in training, that they survive a resume, and that logging.plots = false writes none."""

from __future__ import annotations

import json
import logging

import attrs
import pytest
import torch
from PIL import Image

import ganframe
from ganframe import Experiment, hookimpl
from ganframe.plots import data_kind, read_index, save_figure
from ganframe.plots.images import frames
from ganframe.snapshots import snapshot_steps
from ganframe.testing import fresh_plugins


def _figures(run_dir) -> dict[str, str]:
    return {entry["file"]: entry["caption"] for entry in read_index(run_dir)}


def _check_png(path, min_size=(100, 100)):
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.width >= min_size[0] and image.height >= min_size[1]


# -- a tiny labelled image data set, so image figures are tested without MNIST files ------------
@attrs.frozen(kw_only=True)
class SquaresConfig:
    size: int = 32


class Squares(ganframe.Dataset):
    """8 x 8 grey images, each a bright square at one of four places (label = the place)."""

    sample_shape = (1, 8, 8)
    num_classes = 4

    def __init__(self, size):
        self.labels = torch.arange(size) % 4
        self.images = torch.full((size, 1, 8, 8), -1.0)
        for index, label in enumerate(self.labels.tolist()):
            top, left = 4 * (label // 2), 4 * (label % 2)
            self.images[index, :, top : top + 4, left : left + 4] = 1.0

    def __len__(self):
        return len(self.images)

    def get(self, indices):
        return self.images[indices]

    def to_data_space(self, x):
        return (x + 1) / 2


class SquaresPlugin:
    @hookimpl
    def register_data_sources(self, register):
        register("squares", lambda config, context: Squares(config.size), config=SquaresConfig)


@pytest.fixture(scope="module")
def image_plugins():
    import ganframe_toy

    return fresh_plugins(ganframe_toy, SquaresPlugin(), entry_points=False)


IMAGES = {
    "seed": 0,
    "device": "cpu",
    "data": {"name": "squares", "size": 32},
    "noise": {"name": "normal", "dim": 4},
    "generator": {"name": "mlp", "hidden": [16], "output_activation": "tanh"},
    "discriminator": {"name": "mlp", "hidden": [16]},
    "train": {"steps": 12, "batch_size": 8, "log_every": 2},  # 4 rounds per epoch: 3 epochs
}


# -- which figures ------------------------------------------------------------------------------
def test_one_dimensional_runs_get_losses_moments_and_histogram(make_experiment, tmp_path):
    run = tmp_path / "run"
    make_experiment(train__steps=10).fit(run)
    figures = _figures(run)
    assert list(figures) == ["losses.png", "moments.png", "histogram.png"]
    assert all(figures.values()), "every figure has a caption"
    for name in figures:
        _check_png(run / "plots" / name)
    rows = [json.loads(line) for line in (run / "plots" / "moments.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows] == sorted(snapshot_steps(10, None, 50))
    assert rows[0]["step"] == 0 and rows[-1]["step"] == 10 and rows[-1]["n"] == 1000


def test_moments_are_those_of_the_generator_on_the_fixed_noise(make_experiment, tmp_path):
    run = tmp_path / "run"
    experiment = make_experiment(train__steps=4)
    experiment.fit(run)
    from ganframe.snapshots import FixedNoise

    samples = FixedNoise(experiment, 1000).samples().double().reshape(-1)
    last = json.loads((run / "plots" / "moments.jsonl").read_text().splitlines()[-1])
    assert last["mean"] == pytest.approx(float(samples.mean()), abs=1e-9)
    assert last["std"] == pytest.approx(float(samples.std()), abs=1e-9)


def test_discrete_runs_get_a_histogram_of_values(plugins, tiny, tmp_path):
    run = tmp_path / "run"
    tiny["data"] = {"name": "toy-counts", "max_int": 8}
    Experiment(tiny, plugins=plugins).fit(run)
    assert list(_figures(run)) == ["losses.png", "values.png"]
    assert "range of the real data" in _figures(run)["values.png"]
    _check_png(run / "plots" / "values.png")


def test_two_dimensional_runs_get_a_scatter_and_the_logged_accuracy(plugins, tmp_path):
    run = tmp_path / "run"
    Experiment.from_setup(
        "toy2d",
        "tutorial",
        seed=0,
        steps=500,
        device="cpu",
        plugins=plugins,
        overrides={"evaluation.samples": 1000},
    ).fit(run)
    figures = _figures(run)
    assert list(figures) == ["losses.png", "logged.png", "scatter.png"]  # logged: the strategy's D accuracy
    assert "per epoch" in figures["logged.png"]  # the tutorial preset keeps per-epoch means
    assert "covariance" in figures["scatter.png"]
    _check_png(run / "plots" / "scatter.png")


def test_image_runs_get_a_grid_per_epoch_and_an_animation(image_plugins, tmp_path):
    run = tmp_path / "run"
    Experiment(IMAGES, plugins=image_plugins).fit(run)
    assert list(_figures(run)) == ["losses.png", "samples.png", "progress.gif"]
    assert [step for step, _ in frames(run)] == [0, 4, 8, 12]  # before training, then each epoch's end
    with Image.open(run / "plots" / "progress.gif") as gif:
        assert gif.n_frames == 4
    with Image.open(run / "plots" / "samples.png") as grid:  # 8 x 8 tiles of 8 pixels, 2 apart
        assert grid.size == (8 * 10 + 2, 8 * 10 + 2)


def test_conditional_image_grids_have_one_column_per_class(image_plugins, tmp_path):
    run = tmp_path / "run"
    config = {**IMAGES, "conditional": True, "train": {**IMAGES["train"], "steps": 4}}
    Experiment(config, plugins=image_plugins).fit(run)
    with Image.open(run / "plots" / "samples.png") as grid:  # 4 classes x 10 rows
        assert grid.size == (4 * 10 + 2, 10 * 10 + 2)


def test_data_kind():
    assert data_kind(torch.zeros(5, 1)) == "1-d"
    assert data_kind(torch.zeros(5)) == "1-d"
    assert data_kind(torch.zeros(5, 1, dtype=torch.int64)) == "discrete"
    assert data_kind(torch.zeros(5, 2)) == "2-d"
    assert data_kind(torch.zeros(5, 3, 8, 8)) == "images"
    assert data_kind(torch.zeros(5, 1, 28, 28)) == "images"
    assert data_kind(torch.zeros(5, 5)) is None
    assert data_kind(torch.zeros(5, 2, 8, 8)) is None


def test_snapshot_steps():
    assert snapshot_steps(100, None, 4) == {0, 25, 50, 75, 100}
    assert snapshot_steps(3, None, 50) == {0, 1, 2, 3}
    assert snapshot_steps(12, 4, 50) == {0, 4, 8, 12}  # every epoch
    assert snapshot_steps(40, 4, 5) == {0, 8, 16, 24, 32, 40}  # 10 epochs, every 2nd
    assert snapshot_steps(10, 4, 50) == {0, 4, 8, 10}  # the last step even mid-epoch


# -- what figures must not do ------------------------------------------------------------------------
def test_figures_change_nothing_in_training(make_experiment, tmp_path):
    with_plots, without = make_experiment(), make_experiment(logging__plots=False)
    with_plots.fit(tmp_path / "a")
    without.fit(tmp_path / "b")
    for first, second in zip(with_plots.generator.state_dict().values(), without.generator.state_dict().values()):
        assert torch.equal(first, second)
    assert (tmp_path / "a" / "metrics.jsonl").read_text() == (tmp_path / "b" / "metrics.jsonl").read_text()


def test_plots_off_writes_no_figures(make_experiment, tmp_path):
    run = tmp_path / "run"
    make_experiment(logging__plots=False).fit(run)
    assert not (run / "plots").exists()
    assert "No figures" in (run / "report.html").read_text()


def test_plots_off_from_the_cli(cli, argv_for, tmp_path):
    run = tmp_path / "run"
    assert cli(*argv_for(run, extra=["--set", "logging.plots=false"])).code == 0
    assert not (run / "plots").exists() and (run / "report.json").is_file()


def test_a_failing_figure_is_a_warning_and_the_run_completes(make_experiment, tmp_path, monkeypatch, caplog):
    from ganframe.plots import one_d

    def broken(*args, **kwargs):
        raise RuntimeError("no ink")

    monkeypatch.setattr(one_d, "draw_histogram", broken)
    run = tmp_path / "run"
    with caplog.at_level(logging.WARNING, logger="ganframe"):
        report = make_experiment().fit(run)
    assert report["completed"]
    assert "figure 'histogram' not drawn: RuntimeError: no ink" in caplog.text
    assert list(_figures(run)) == ["losses.png", "moments.png"]  # the others are still drawn


def test_resumed_runs_keep_one_snapshot_per_step(make_experiment, tmp_path):
    run = tmp_path / "run"
    first = make_experiment(train__steps=10, logging__snapshots=5)

    class StopAt4:
        @hookimpl
        def on_step_end(self, experiment, step):
            if step == 4:
                experiment.request_stop()

    from ganframe.plugins import add_callback

    add_callback(first.hooks, StopAt4(), "stop")
    first.fit(run)
    resumed = Experiment.load(run, plugins=first.plugins)
    resumed.fit(run)
    rows = [json.loads(line) for line in (run / "plots" / "moments.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows] == [0, 2, 4, 6, 8, 10]

    whole = tmp_path / "whole"
    make_experiment(train__steps=10, logging__snapshots=5).fit(whole)
    assert (whole / "plots" / "moments.jsonl").read_text() == (run / "plots" / "moments.jsonl").read_text()


def test_resumed_image_runs_drop_frames_from_beyond_the_checkpoint(image_plugins, tmp_path):
    run = tmp_path / "run"
    experiment = Experiment(IMAGES, plugins=image_plugins)
    experiment.fit(run)
    stale = run / "plots" / "progress" / "step-000000999.png"  # as if a crash came after the checkpoint
    stale.write_bytes((run / "plots" / "progress" / "step-000000012.png").read_bytes())
    Experiment.load(run, steps=16, plugins=image_plugins).fit(run)
    assert [step for step, _ in frames(run)] == [0, 4, 8, 12, 16]


def test_plugins_add_their_own_figures(make_experiment, tmp_path):
    class MyFigure:
        @hookimpl
        def on_experiment_end(self, experiment):
            from matplotlib.figure import Figure

            figure = Figure()
            figure.subplots().plot([0, 1], [1, 0])
            save_figure(experiment.run_dir, "mine.png", figure, "a <b>line</b>")

    run = tmp_path / "run"
    make_experiment(callbacks=[MyFigure()]).fit(run)
    assert _figures(run)["mine.png"] == "a <b>line</b>"
    page = (run / "report.html").read_text()
    assert "a &lt;b&gt;line&lt;/b&gt;" in page and "a <b>line</b>" not in page


def test_save_figure_refuses_paths(tmp_path):
    with pytest.raises(ValueError, match="file name"):
        save_figure(tmp_path, "../escape.png", None)
    with pytest.raises(ValueError, match="file name"):
        save_figure(tmp_path, "figure.txt", None)


def test_snapshots_option_is_validated(make_experiment):
    with pytest.raises(ganframe.ConfigError, match="snapshots"):
        make_experiment(logging__snapshots=0)
    with pytest.raises(ganframe.ConfigError, match="plots"):
        make_experiment(logging__plots="yes")


def test_wide_grids_are_scaled_down_in_the_animation(tmp_path):
    from ganframe.plots.images import GIF_WIDTH, draw_samples_and_animation, write_frame

    for step in (0, 10):
        write_frame(tmp_path, step, torch.rand(64, 3, 96, 96), columns=8)  # 8 x 98 + 2 = 786 pixels wide
    assert draw_samples_and_animation(tmp_path, lambda step: f"step {step}")
    with Image.open(tmp_path / "plots" / "samples.png") as grid:
        assert grid.size == (786, 786) and grid.mode == "RGB"  # the grid itself keeps every pixel
    with Image.open(tmp_path / "plots" / "progress.gif") as gif:
        assert gif.width == GIF_WIDTH and gif.n_frames == 2


def test_metrics_over_training_when_evaluated_more_than_once(make_experiment, tmp_path):
    once, often = tmp_path / "once", tmp_path / "often"
    make_experiment().fit(once)
    make_experiment(train__steps=6, train__eval_every=2).fit(often)
    assert "metrics.png" not in _figures(once)  # one evaluation: nothing to draw over time
    assert "metrics.png" in _figures(often)
    _check_png(often / "plots" / "metrics.png")


def test_data_from_a_file_gets_figures_against_the_real_data(tmp_path, plugins):
    import numpy as np

    np.save(tmp_path / "points.npy", np.random.default_rng(0).normal(size=(500, 2)).astype("float32"))
    np.save(tmp_path / "values.npy", np.random.default_rng(0).normal(size=(500, 1)).astype("float32"))
    for name, figures in (
        ("points", ["losses.png", "scatter.png"]),
        ("values", ["losses.png", "moments.png", "histogram.png"]),
    ):
        run = tmp_path / name
        Experiment.compose(
            data=("file", {"path": str(tmp_path / f"{name}.npy")}),
            steps=4,
            batch_size=50,
            device="cpu",
            plugins=plugins,
        ).fit(run)
        assert list(_figures(run)) == figures
        assert sorted(p.name for p in (run / "plots").iterdir()) == sorted(
            [*figures, "figures.json", *(["moments.jsonl"] if name == "values" else [])]
        )
    assert "real data (500 samples)" in _figures(tmp_path / "values")["moments.png"]
    assert "real data's histogram" in _figures(tmp_path / "values")["histogram.png"]
