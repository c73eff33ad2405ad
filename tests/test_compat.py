"""Runs written by ganframe 0.1 (two fixed networks, checkpoint format 1, options since moved to the
plugins that needed them) load, evaluate and resume as that version would have continued them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from ganframe import Experiment, RunDirectoryError, hookimpl
from ganframe.testing import fresh_plugins

DATA = Path(__file__).resolve().parent / "data"
OLD_RUN = DATA / "v0.1-run"  # gaussian, seed 1, tiny networks, 8 steps planned, stopped at 4, by ganframe 0.1


class GaussianAsInVersion01:
    """The names the run was written with: setup ``gaussian`` and its data source ``gaussian-1d``, which
    samples N(mean, std²) as the toy plugin's ``toy-1d`` does (the gaussian plugin is not needed)."""

    @hookimpl
    def register_data_sources(self, register):
        import ganframe_toy

        register(
            "gaussian-1d",
            lambda c, ctx: ganframe_toy._components().Normal1D(c.mean, c.std),
            config=ganframe_toy.Toy1DConfig,
        )

    @hookimpl
    def register_setups(self, register):
        import ganframe_toy

        register("gaussian", {"default": ganframe_toy.DEFAULT})


@pytest.fixture(scope="module")
def plugins():
    return fresh_plugins(GaussianAsInVersion01(), entry_points=False)


@pytest.fixture
def old_run(tmp_path) -> Path:
    return Path(shutil.copytree(OLD_RUN, tmp_path / "run"))


@pytest.fixture
def old_run_on_toy(old_run) -> Path:
    """The old run with the toy plugin's names, for commands (which see the installed plugins only)."""
    config = (old_run / "config.toml").read_text()
    renamed = config.replace('setup = "gaussian"', 'setup = "toy"').replace('name = "gaussian-1d"', 'name = "toy-1d"')
    assert renamed.count('"toy') == 2
    (old_run / "config.toml").write_text(renamed)
    return old_run


def test_an_old_run_resumes_exactly_as_ganframe_0_1_would_have_continued_it(old_run, plugins):
    experiment = Experiment.load(old_run, plugins=plugins)
    assert experiment.step == 4 and list(experiment.networks) == ["generator", "discriminator"]
    experiment.fit(old_run)
    expected = torch.load(DATA / "v0.1-run-8-steps-samples.pt", weights_only=True)  # ganframe 0.1, 8 steps at once
    assert torch.equal(experiment.sample(50), expected)
    assert torch.load(old_run / "checkpoints" / "last.pt", weights_only=True)["format"] == 2  # written anew


def test_an_old_run_evaluates_from_the_command_line(old_run_on_toy, cli):
    result = cli("evaluate", old_run_on_toy, "--json")
    assert result.code == 0, result.err
    assert '"mean"' in result.out


def test_an_option_that_left_ganframe_is_one_clear_line(old_run, plugins):
    config = (old_run / "config.toml").read_text()
    (old_run / "config.toml").write_text(config.replace('batch_input = "none"', 'batch_input = "moments"'))
    with pytest.raises(RunDirectoryError) as caught:
        Experiment.load(old_run, plugins=plugins)
    assert str(caught.value) == (
        f"{str(old_run / 'config.toml')!r} was written by ganframe 0.1 with discriminator.batch_input = 'moments', "
        "an option that moved out of ganframe into the plugin that needed it; see CHANGELOG.md (0.2.0)"
    )
