"""Strategies and losses that keep state: their state goes into checkpoints, a resumed run continues
bit for bit, and a state that does not load is one line that names the component, with nothing
written over."""

from __future__ import annotations

import copy

import family_plugin
import pytest
import torch

import ganframe
from ganframe import Experiment, RunDirectoryError
from ganframe.testing import fresh_plugins


@pytest.fixture(scope="module")
def family():
    import ganframe_toy

    return fresh_plugins(ganframe_toy, family_plugin, entry_points=False)


def adaptive(tiny: dict, steps: int = 12) -> dict:
    raw = copy.deepcopy(tiny)
    raw["strategy"] = {"name": "adaptive", "threshold": 0.5, "skip_g": 0.3}
    raw["train"] = dict(raw["train"], steps=steps)
    return raw


def test_the_strategys_state_is_saved_and_a_resumed_run_matches_an_uninterrupted_one(family, tiny, tmp_path):
    whole = Experiment.from_dict(adaptive(tiny), plugins=family)
    whole.fit(tmp_path / "whole")
    assert whole.strategy.extra_updates > 0  # the state mattered: it changed what the rounds did
    half = Experiment.from_dict(adaptive(tiny, steps=5), plugins=family)
    half.fit(tmp_path / "half")
    saved = torch.load(tmp_path / "half" / "checkpoints" / "last.pt", weights_only=True)
    assert saved["strategy"]["extra_updates"] == half.strategy.extra_updates
    assert torch.equal(saved["strategy"]["draws"], half.strategy.draws)
    resumed = Experiment.load(tmp_path / "half", steps=12, plugins=family)
    assert resumed.strategy.mean_d_loss == half.strategy.mean_d_loss
    resumed.fit(tmp_path / "half")
    assert torch.equal(resumed.strategy.draws, whole.strategy.draws)  # the strategy's random stream continued
    assert (resumed.strategy.extra_updates, resumed.strategy.mean_d_loss) == (
        whole.strategy.extra_updates,
        whole.strategy.mean_d_loss,
    )
    assert torch.equal(resumed.sample(100), whole.sample(100))


def test_a_state_that_does_not_load_is_one_line_and_changes_nothing(
    family, tiny, tmp_path, cli, assert_usage_error, snapshot_of, monkeypatch
):
    run = tmp_path / "run"
    Experiment.from_dict(adaptive(tiny, steps=4), plugins=family).fit(run)
    checkpoint = run / "checkpoints" / "last.pt"
    content = torch.load(checkpoint, weights_only=True)
    del content["strategy"]["draws"]
    content.pop("sha256")  # a checkpoint made by hand, or by a strategy's older version: no checksum
    torch.save(content, checkpoint)
    before = snapshot_of(run)
    with pytest.raises(RunDirectoryError) as caught:
        Experiment.load(run, plugins=family)
    assert str(caught.value) == (
        f"strategy 'adaptive' (plugin 'family_plugin') cannot load its state from the "
        f"checkpoint in {str(run)!r}: KeyError: 'draws'"
    )
    from ganframe import plugins as plugins_module

    real = plugins_module.load_plugins
    monkeypatch.setattr(
        plugins_module, "load_plugins", lambda disabled=(), **kw: real(disabled, extra=[family_plugin], **kw)
    )
    line = assert_usage_error(cli("train", "--resume", run, "--steps", "8", "--quiet"))
    assert "cannot load its state from the checkpoint" in line
    assert snapshot_of(run) == before


def test_a_checkpoint_with_state_for_a_stateless_strategy_is_refused(family, tiny, tmp_path):
    run = tmp_path / "run"
    Experiment.from_dict(adaptive(tiny, steps=2), plugins=family).fit(run)
    config = (run / "config.toml").read_text()
    (run / "config.toml").write_text(
        config.replace('name = "adaptive"\nthreshold = 0.5\nskip_g = 0.3', 'name = "alternating"')
    )
    with pytest.raises(
        RunDirectoryError,
        match=r"holds state for the strategy, but strategy 'alternating' \(plugin "
        r"'ganframe.builtin.strategies'\) keeps none",
    ):
        Experiment.load(run, plugins=family)


class CountingLoss:
    """A loss with state: how many D losses it computed, saved and restored like a strategy's."""

    def __init__(self) -> None:
        self.calls = 0

    def discriminator_loss(self, discriminator, real, fake):
        self.calls += 1
        return (
            torch.nn.functional.softplus(-discriminator(real)).mean()
            + torch.nn.functional.softplus(discriminator(fake)).mean()
        )

    def generator_loss(self, discriminator, fake, real=None):
        return torch.nn.functional.softplus(-discriminator(fake)).mean()

    def state_dict(self):
        return {"calls": self.calls}

    def load_state_dict(self, state):
        self.calls = state["calls"]


class CountingLossPlugin:
    @ganframe.hookimpl
    def register_losses(self, register):
        register("counting", lambda config, context: CountingLoss())


def test_a_losss_state_is_checkpointed_too(tiny, tmp_path):
    import ganframe_toy

    plugins = fresh_plugins(ganframe_toy, CountingLossPlugin(), entry_points=False)
    raw = copy.deepcopy(tiny) | {"loss": "counting"}
    raw["train"] = dict(raw["train"], steps=3)
    Experiment.from_dict(raw, plugins=plugins).fit(tmp_path / "run")
    resumed = Experiment.load(tmp_path / "run", steps=5, plugins=plugins)
    assert resumed.loss.calls == 3
    resumed.fit(tmp_path / "run")
    assert resumed.loss.calls == 5
