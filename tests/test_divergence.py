"""A run that diverges stops at the first non-finite loss or weight, names the step, keeps its last
good checkpoint and exits 3; a non-finite model is never sampled or evaluated as if it were fine."""

from __future__ import annotations

import attrs
import pytest
import torch

import ganframe
from ganframe import DivergedError, Experiment, checkpoint
from ganframe.testing import fresh_plugins


def checkpoint_state(run) -> dict:
    return torch.load(run / "checkpoints" / "last.pt", weights_only=True)


@attrs.frozen(kw_only=True)
class PoisonedConfig:
    after: int = 4  # batches drawn before the data turns NaN


class PoisonedData(ganframe.Distribution):
    """N(4, 1) in 1-D, and NaN from batch ``after + 1`` on (a corrupt file, a bad transform...)."""

    sample_shape = (1,)

    def __init__(self, after: int) -> None:
        self.after, self.draws = after, 0

    def sample(self, n, *, generator, device):
        self.draws += 1
        batch = 4 + torch.randn(n, 1, generator=generator, device=device)
        return batch * float("nan") if self.draws > self.after else batch


class PoisonPlugin:
    @ganframe.hookimpl
    def register_data_sources(self, register):
        register("poisoned", lambda config, context: PoisonedData(config.after), config=PoisonedConfig)


@pytest.fixture(scope="module")
def poison_plugins():
    import ganframe_toy

    return fresh_plugins(ganframe_toy, PoisonPlugin(), entry_points=False)


def poisoned(tiny: dict, after: int, **train) -> dict:
    tiny["data"] = {"name": "poisoned", "after": after}
    tiny["evaluation"]["metrics"] = ["moments"]
    tiny["train"].update(train)
    return tiny


def test_nan_data_stops_the_run_at_that_step_and_keeps_the_last_good_checkpoint(poison_plugins, tiny, tmp_path):
    run, good = tmp_path / "run", tmp_path / "good"
    config = poisoned(tiny, after=5, steps=10, checkpoint_every=2)
    with pytest.raises(
        DivergedError,
        match=r"training diverged at step 6: d_loss, g_loss are not finite and so are "
        r"the weights of the generator and discriminator; "
        r"the last good checkpoint is kept in",
    ):
        Experiment.from_dict(config, plugins=poison_plugins).fit(run)
    saved = checkpoint_state(run)
    assert saved["step"] == 4
    Experiment.from_dict(config, overrides={"train.steps": 4}, plugins=poison_plugins).fit(good)
    for role, weights in checkpoint_state(good)["networks"].items():
        assert all(torch.equal(saved["networks"][role][name], value) for name, value in weights.items())
    assert not (run / "report.json").exists()
    assert Experiment.load(run, plugins=poison_plugins).step == 4  # still loads, resumable


def test_divergence_before_any_checkpoint_says_so(poison_plugins, tiny, tmp_path):
    with pytest.raises(
        DivergedError, match=r"step 1: d_loss, g_loss are not finite.*; no checkpoint had been written yet"
    ):
        Experiment.from_dict(poisoned(tiny, after=0), plugins=poison_plugins).fit(tmp_path / "run")
    assert not (tmp_path / "run" / "checkpoints" / "last.pt").exists()


def test_a_learning_rate_far_too_high_is_exit_3_naming_step_and_network(cli, argv_for, tmp_path):
    run = tmp_path / "run"
    result = cli(*argv_for(run, steps=20, extra=["--set", "discriminator.optimizer.lr=1e38"]))
    assert result.code == 3, result.err
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganframe: error: training diverged at step "), result.err
    assert "is not finite and so are the weights of the generator" in lines[0]  # D's are huge, G's NaN
    assert not (run / "checkpoints" / "last.pt").exists()


def test_the_guard_can_be_disabled_but_no_nan_checkpoint_is_ever_written(poison_plugins, tiny, tmp_path):
    import ganframe_toy

    plugins = fresh_plugins(ganframe_toy, PoisonPlugin(), entry_points=False, disabled=["ganframe.divergence"])
    run = tmp_path / "run"
    config = poisoned(tiny, after=3, steps=8, checkpoint_every=2, log_every=1)
    with pytest.raises(
        DivergedError, match="not writing a checkpoint at step 4: the generator's weights are not finite"
    ):
        Experiment.from_dict(config, plugins=plugins).fit(run)
    assert checkpoint_state(run)["step"] == 2


def test_checkpoint_save_refuses_non_finite_weights_and_leaves_the_file(tmp_path, make_experiment):
    experiment = make_experiment()
    experiment.save(tmp_path)
    before = (tmp_path / "checkpoints" / "last.pt").read_bytes()
    with torch.no_grad():
        next(experiment.generator.parameters()).view(-1)[0] = float("inf")
    with pytest.raises(DivergedError, match="the generator's weights are not finite"):
        experiment.save(tmp_path)
    assert (tmp_path / "checkpoints" / "last.pt").read_bytes() == before


def test_sample_and_evaluate_of_a_non_finite_model_say_so(cli, run_copy, tmp_path):
    state = checkpoint_state(run_copy)
    weights = state["networks"]["generator"]
    weights[next(iter(weights))].fill_(float("nan"))
    state[checkpoint.CHECKSUM] = checkpoint.checksum(state)  # written that way, by an older ganframe
    torch.save(state, run_copy / "checkpoints" / "last.pt")
    for argv in (("sample", run_copy, "-n", "10", "-o", tmp_path / "s.npy"), ("evaluate", run_copy)):
        result = cli(*argv)
        assert result.code == 3, result.err
        assert result.err.startswith("ganframe: error: cannot sample at step 6: the generator's weights are not finite")
    assert not (tmp_path / "s.npy").exists()


def test_on_a_device_the_first_bad_step_is_named_when_it_is_read(make_experiment):
    """On a GPU the guard reads the logs every train.log_every rounds (reading waits for the device),
    and still names the first round that went bad. The same code, run on the CPU here."""
    from ganframe.divergence import DivergenceGuard

    experiment = make_experiment(train__steps=20, train__log_every=4)
    guard = DivergenceGuard(experiment, None)
    guard.check_every = 4
    good, bad = torch.tensor(1.0), torch.tensor(float("nan"))
    for step in range(1, 6):
        guard.on_step_end(step, {"d_loss": good, "g_loss": good})
    guard.on_step_end(6, {"d_loss": good, "g_loss": bad})
    guard.on_step_end(7, {"d_loss": good, "g_loss": good})  # a finite round after: the first bad one counts
    with pytest.raises(
        DivergedError, match="training diverged at step 6: a logged loss is not finite; nothing was saved"
    ):
        guard.on_step_end(8, {"d_loss": good, "g_loss": good})
