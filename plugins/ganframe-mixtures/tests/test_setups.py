"""The ring and grid setups: every preset builds and trains, the papers' networks are what the
papers describe, each run draws its modes figure, and bad data options are one line, exit 2."""

from __future__ import annotations

import json

import pytest
import torch
from ganframe_mixtures import setups
from ganframe_mixtures.networks import BatchNormMLP, BatchNormMLPConfig, LinearMaxout, MaxoutMLP, MaxoutMLPConfig

from ganframe import Experiment
from ganframe.cli import main
from ganframe.testing import fresh_plugins, smoke_run

PRESETS = ["default", "tutorial", "pacgan", "unrolled", "ali"]


@pytest.fixture(scope="module")
def plugins():
    return fresh_plugins()  # the installed plugins: the presets use ganframe-extras, -unrolled and -ali


def test_both_setups_have_every_preset(plugins):
    for name in ("ring", "grid"):
        setup = plugins.registry.setup(name)
        assert sorted(setup.presets) == sorted(PRESETS)
        assert setup.default_preset == "default"
        for preset in setup.presets.values():
            assert preset["data"]["name"] == name
            assert preset["evaluation"] == {"metrics": ["mixture-modes"], "samples": 2500}


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("setup", ["ring", "grid"])
def test_every_preset_trains(plugins, setup, preset):
    experiment = smoke_run(
        setup, preset, steps=3, plugins=plugins, overrides={"evaluation.samples": 200, "logging.plots": False}
    )
    assert experiment.step == 3 and experiment.data.modes == (8 if setup == "ring" else 25)


def test_the_papers_networks():
    g = BatchNormMLP(BatchNormMLPConfig(), noise_dim=2, sample_shape=(2,))
    linears = [m for m in g.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [
        (2, 400),
        (400, 400),
        (400, 400),
        (400, 400),
        (400, 2),
    ]
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in g.modules()) == 4
    assert g(torch.randn(7, 2)).shape == (7, 2)
    d = MaxoutMLP(MaxoutMLPConfig(), sample_shape=(2,))
    maxouts = [m for m in d.modules() if isinstance(m, LinearMaxout)]
    assert [(m.linear.in_features, m.units, m.pieces) for m in maxouts] == [(2, 200, 5), (200, 200, 5), (200, 200, 5)]
    assert d(torch.randn(7, 2)).shape == (7, 1)


def test_a_maxout_unit_is_the_largest_of_its_pieces():
    layer = LinearMaxout(3, units=2, pieces=4)
    x = torch.randn(5, 3)
    pieces = layer.linear(x).view(5, 2, 4)  # (B, units, pieces)
    assert torch.equal(layer(x), pieces.max(dim=2).values)


def test_pacgan_packs_the_papers_discriminator(plugins):
    experiment = Experiment.from_setup("ring", "pacgan", plugins=plugins, device="cpu")
    first = experiment.discriminator.inner.net[0]
    assert first.linear.in_features == 2 * 2  # two 2-D samples side by side
    assert experiment.discriminator(torch.randn(100, 2)).shape == (50, 1)


def test_a_run_draws_its_modes_figure(tmp_path):
    status = main(["train", "ring", "--steps", "3", "--out", str(tmp_path / "run"), "--set", "evaluation.samples=300"])
    assert status == 0
    figure = tmp_path / "run" / "plots" / "modes.png"
    assert figure.stat().st_size > 10_000
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["metrics"]["modes_total"] == 8.0


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("data.modes=0", "data: 'modes' must be > 0, got 0"),
        ("data.std=-0.02", "data: 'std' must be > 0, got -0.02"),
        ("data.size=0", "data: 'size' must be > 0, got 0"),
    ],
)
def test_bad_data_options_are_one_line_and_exit_2(capsys, tmp_path, option, message):
    setup = "grid" if option.startswith("data.size") else "ring"
    status = main(["train", setup, "--steps", "2", "--out", str(tmp_path / "run"), "--set", option])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and err == [f"ganframe: error: {message}"]
    assert not (tmp_path / "run").exists()


def test_the_presets_are_independent_copies():
    ring, grid = setups.presets("ring"), setups.presets("grid")
    ring["default"]["generator"]["hidden"].append(1)
    assert (
        grid["default"]["generator"]["hidden"] == [128, 128] == setups.presets("ring")["default"]["generator"]["hidden"]
    )
