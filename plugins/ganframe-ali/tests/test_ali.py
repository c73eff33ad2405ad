"""The ``ali`` strategy and ``pair-mlp`` discriminator: registered through the entry point, one round
makes the updates ALI prescribes, training makes E invert G, runs resume bit for bit, encode and
reconstruct work on a run read back from disk, the reconstruction figure is drawn, and every
misconfiguration is one line, from Python and from the command line."""

from __future__ import annotations

import ast
import importlib.metadata
import subprocess
import sys
from pathlib import Path

import ganframe_ali
import numpy as np
import pytest
import tomli_w
import torch
from ali_testdata import MEANS, AliTestPlugin, config

import ganframe
from ganframe import ConfigError, Experiment
from ganframe.testing import fresh_plugins

GANFRAME = Path(sys.executable).with_name("ganframe")


@pytest.fixture(scope="module")
def test_data():
    return AliTestPlugin()


@pytest.fixture(scope="module")
def plugins(test_data):
    return fresh_plugins(ganframe_ali, test_data, entry_points=False)


def experiment(plugins, **options) -> Experiment:
    return Experiment.from_dict(config(**options), plugins=plugins)


def state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in module.state_dict().items()}


def same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# -- registration and imports --------------------------------------------------------------------
def test_registered_through_its_installed_entry_point():
    (entry_point,) = [ep for ep in importlib.metadata.entry_points(group="ganframe") if ep.name == "ali"]
    assert entry_point.value == "ganframe_ali"
    installed = fresh_plugins()
    (info,) = [info for info in installed.infos if info.name == "ali"]
    assert (info.distribution, info.error) == ("ganframe-ali", None)
    assert sorted(installed.registry.by_plugin()["ali"]) == [("discriminators", "pair-mlp"), ("strategies", "ali")]


def test_ganframe_list_shows_the_strategy_and_the_discriminator():
    listed = subprocess.run([str(GANFRAME), "list"], capture_output=True, text=True, timeout=120, check=False)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert any(line.split()[:2] == ["ali", "[ali]"] for line in lines), listed.stdout
    assert any(line.split()[:2] == ["pair-mlp", "[ali]"] for line in lines), listed.stdout


def test_only_public_ganframe_modules_are_imported():
    public = {
        "ganframe",
        "ganframe.components",
        "ganframe.config",
        "ganframe.nn",
        "ganframe.data",
        "ganframe.plots",
        "ganframe.snapshots",
        "ganframe.testing",
    }
    for path in Path(ganframe_ali.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and not node.level
        }
        ours = {name for name in imported if name.split(".")[0] == "ganframe"}
        assert ours <= public, (path.name, ours - public)


# -- the round ----------------------------------------------------------------------------------
def test_a_round_updates_d_on_pairs_then_g_and_e_together_with_the_batches_swapped(plugins, test_data):
    ali = experiment(plugins, loss="recording", batch_size=16, noise_dim=3, steps=1)
    before = {role: state(network) for role, network in ali.networks.items()}
    test_data.loss.calls.clear()
    logs = ali.strategy.train_round(ali.trainer)
    pairs = (16, 2 + 3)  # (B, numel(sample_shape) + noise_dim)
    # D: encoder pairs vs generator pairs, both detached; then G/E: the same call, swapped, with graphs
    assert test_data.loss.calls == [(pairs, False, pairs, False), (pairs, True, pairs, True)]
    assert set(logs) == {"d_loss", "g_loss"} and all(v.dim() == 0 and torch.isfinite(v) for v in logs.values())
    assert all(not same(state(network), before[role]) for role, network in ali.networks.items())
    assert ali.trainer.real_draws == 1  # the G/E update reused D's batch


def test_d_steps_and_g_steps_draw_a_batch_each(plugins, test_data):
    ali = experiment(plugins, loss="recording", strategy={"name": "ali", "d_steps": 3, "g_steps": 2}, steps=1)
    test_data.loss.calls.clear()
    ali.strategy.train_round(ali.trainer)
    assert [call[1] or call[3] for call in test_data.loss.calls] == [False, False, False, True, True]
    assert ali.trainer.real_draws == 4  # three D batches, the first G/E update reuses the last one


def test_the_joint_update_is_the_swapped_loss_through_g_and_e_only(plugins):
    """G and E take the Adam step of the gradient of loss(D, generator pairs, encoder pairs); D's step is
    the loss on the same batch as in a plain GAN."""
    ali = experiment(plugins, steps=1, batch_size=8)
    g, e, d = ali.generator, ali.networks["encoder"], ali.discriminator
    data_gen = torch.Generator().set_state(ali.data_generator.get_state())
    noise_gen = torch.Generator().set_state(ali.noise_generator.get_state())
    x = ali.data.sample(8, generator=data_gen, device=torch.device("cpu"))
    z = ali.noise.sample(8, generator=noise_gen, device=torch.device("cpu"))
    d_copy = {name: p.detach().clone() for name, p in d.named_parameters()}
    before = {"g": state(g), "e": state(e)}
    ali.strategy.train_round(ali.trainer)
    # D took its step first, and the G/E loss is computed against the stepped D
    assert not same(d_copy, {name: p.detach() for name, p in d.named_parameters()})
    params = {
        **{f"g.{k}": v.clone().requires_grad_() for k, v in before["g"].items()},
        **{f"e.{k}": v.clone().requires_grad_() for k, v in before["e"].items()},
    }
    gp = {k[2:]: v for k, v in params.items() if k.startswith("g.")}
    ep = {k[2:]: v for k, v in params.items() if k.startswith("e.")}
    real_pairs = ganframe_ali.pair(x, torch.func.functional_call(e, ep, (x,)))
    fake_pairs = ganframe_ali.pair(torch.func.functional_call(g, gp, (z,)), z)
    loss = ali.loss.discriminator_loss(d, fake_pairs, real_pairs)
    grads = dict(zip(params, torch.autograd.grad(loss, list(params.values()))))
    lr, eps = 1e-3, 1e-8
    for prefix, network in (("g", g), ("e", e)):
        for name, p in network.named_parameters():
            grad = grads[f"{prefix}.{name}"]
            expected = before[prefix][name] - lr * grad / (grad.abs() + eps)  # Adam's first step
            assert torch.allclose(p.detach(), expected, atol=1e-6), (prefix, name)


# -- learning -----------------------------------------------------------------------------------
def nearest_mode(points: torch.Tensor) -> torch.Tensor:
    return torch.cdist(points.double(), MEANS).argmin(dim=1)  # (n,)


def test_training_makes_the_encoder_invert_the_generator(plugins):
    """On the ring, G(E(x)) lands near x and in x's cluster far more often than at initialisation.

    Measured (this config, seeds 0-2, 1,500 rounds): mean ‖G(E(x)) − x‖ 2.00 → 0.83 / 1.02 / 1.40 and
    the share of reconstructions in x's cluster 0.11-0.14 → 0.60 / 0.48 / 0.37; seed 0 is asserted
    with a margin (an untrained or a non-learning encoder stays at ≈ 2.0 and ≈ 1/8)."""
    ali = experiment(plugins, steps=1500, batch_size=64, hidden=(64, 64), lr=1e-3, seed=0)
    x = ganframe_ali.real_examples(ali, 1000, seed=123)  # (1000, 2)

    def scores() -> tuple[float, float]:
        rebuilt = ganframe_ali.reconstruct(ali, x)
        return float((rebuilt - x).norm(dim=1).mean()), float((nearest_mode(rebuilt) == nearest_mode(x)).float().mean())

    error_before, same_mode_before = scores()
    report = ali.fit()
    error_after, same_mode_after = scores()
    assert report["steps"] == 1500
    assert error_before > 1.9 and same_mode_before < 0.2
    assert error_after < 0.6 * error_before, (error_before, error_after)
    assert same_mode_after > 0.45, same_mode_after


# -- resuming -----------------------------------------------------------------------------------
class StopAt:
    """Asks the experiment to stop after round ``step``, as a first Ctrl-C does."""

    def __init__(self, step: int) -> None:
        self.step = step

    @ganframe.hookimpl
    def on_step_end(self, experiment, step):
        if step == self.step:
            experiment.request_stop()


def checkpoint(run: Path) -> dict:
    return torch.load(run / "checkpoints" / "last.pt", weights_only=True)


def test_a_resumed_run_ends_bit_for_bit_where_an_uninterrupted_one_ends(plugins, tmp_path):
    # dropout in D: the global random stream must be restored too
    options = {
        "steps": 12,
        "batch_size": 16,
        "discriminator": {
            "name": "pair-mlp",
            "hidden": [16],
            "dropout": 0.2,
            "optimizer": {"name": "adam", "lr": 1e-3},
        },
    }
    whole = experiment(plugins, **options)
    whole.fit(tmp_path / "whole")
    part = Experiment.from_dict(config(**options), plugins=plugins, callbacks=[StopAt(5)])
    assert part.fit(tmp_path / "part")["steps"] == 5
    resumed = Experiment.load(tmp_path / "part", plugins=plugins)
    assert resumed.step == 5
    assert resumed.fit(tmp_path / "part")["steps"] == 12
    a, b = checkpoint(tmp_path / "whole"), checkpoint(tmp_path / "part")
    assert sorted(a["networks"]) == ["discriminator", "encoder", "generator"]
    for role in a["networks"]:
        assert same(a["networks"][role], b["networks"][role]), role
        for index, values in a["optimizers"][role]["state"].items():
            assert same(values, b["optimizers"][role]["state"][index]), role
    assert a["real_draws"] == b["real_draws"] == 12


# -- encode and reconstruct from a run directory ------------------------------------------------
def test_encode_and_reconstruct_a_run_read_back_from_its_directory(plugins, tmp_path):
    trained = experiment(plugins, steps=20, noise_dim=3)
    trained.fit(tmp_path / "run")
    x = ganframe_ali.real_examples(trained, 10, seed=4)
    loaded = Experiment.load(tmp_path / "run", plugins=plugins)
    z = ganframe_ali.encode(loaded, x)
    assert z.shape == (10, 3) and z.device.type == "cpu"
    assert torch.equal(z, ganframe_ali.encode(trained, x))
    assert torch.equal(ganframe_ali.encode(loaded, x.numpy()), z)  # NumPy arrays work too
    assert torch.allclose(ganframe_ali.encode(loaded, x, chunk=3), z, atol=1e-6)  # chunks change nothing
    assert ganframe_ali.encode(loaded, x[:0]).shape == (0, 3)
    rebuilt = ganframe_ali.reconstruct(loaded, x)
    assert rebuilt.shape == (10, 2)
    with torch.no_grad():
        assert torch.allclose(rebuilt, loaded.generator(z))
    assert loaded.networks["encoder"].training  # put back in the mode it was in
    with pytest.raises(ConfigError, match=r"examples must have shape \(N, 2\) in model space, got \(10, 3\)"):
        ganframe_ali.encode(loaded, torch.zeros(10, 3))
    with pytest.raises(ConfigError, match="chunk must be a positive integer, got 0"):
        ganframe_ali.reconstruct(loaded, x, chunk=0)


def test_encode_needs_an_encoder(plugins):
    plain = experiment(plugins, encoder=False, strategy={"name": "alternating"}, discriminator={"name": "mlp"})
    with pytest.raises(ConfigError, match="this experiment has no 'encoder' network"):
        ganframe_ali.encode(plain, np.zeros((2, 2), dtype=np.float32))


# -- the figure ---------------------------------------------------------------------------------
@pytest.mark.parametrize("data", ["small-ring", "tiny-images"])
def test_the_reconstruction_figure_is_drawn(plugins, tmp_path, data):
    Experiment.from_dict(
        {**config(steps=3, data=data), "logging": {"plots": True, "report": False}}, plugins=plugins
    ).fit(tmp_path / "run")
    index = (tmp_path / "run" / "plots" / "figures.json").read_text()
    assert (tmp_path / "run" / "plots" / "reconstruction.png").stat().st_size > 1000
    assert "G(E(x))" in index


def test_no_reconstruction_figure_without_ali(plugins, tmp_path):
    raw = config(steps=3, strategy={"name": "alternating"}, discriminator={"name": "mlp"})
    Experiment.from_dict({**raw, "logging": {"plots": True, "report": False}}, plugins=plugins).fit(tmp_path / "run")
    assert (tmp_path / "run" / "plots").is_dir()
    assert not (tmp_path / "run" / "plots" / "reconstruction.png").exists()


# -- misconfigurations: one line each -----------------------------------------------------------
#: case → (config options, what the one line says after "strategy 'ali' (plugin 'NAME')")
BAD = {
    "no encoder": (
        {"encoder": False},
        (
            " needs the network role 'encoder', which this experiment does not have (its roles: generator, "
            "discriminator); add a [networks.encoder] section"
        ),
    ),
    "encoder output": (
        {"encoder": {"output": 5}},
        (
            ": the encoder ([networks.encoder]) maps real examples of shape (4, 2) to (4, 5), but ALI "
            "needs one latent of the noise's size per example, (4, 2): set networks.encoder.output = "
            '"noise"'
        ),
    ),
    "plain discriminator": (
        {"discriminator": {"name": "mlp"}},
        ": the discriminator failed on a batch of pairs of shape (4, 4) (RuntimeError: ",
    ),
}
PAIR_HINT = '; ALI\'s discriminator scores (x, z) pairs of 2 + 2 = 4 numbers: set discriminator.name = "pair-mlp"'


def check_one_line(text: str, case: str, plugin: str) -> None:
    _, message = BAD[case]
    assert "\n" not in text, text
    assert text.startswith(f"strategy 'ali' (plugin {plugin!r}){message}"), text
    if case == "plain discriminator":
        assert text.endswith(PAIR_HINT), text


@pytest.mark.parametrize("case", sorted(BAD))
def test_misconfigurations_fail_before_training_in_one_line(plugins, case):
    with pytest.raises(ConfigError) as caught:
        experiment(plugins, **BAD[case][0])
    check_one_line(str(caught.value), case, "ganframe_ali")  # a plugin given as a module is named after it


def test_bad_options_are_one_line(plugins):
    with pytest.raises(ConfigError) as caught:
        experiment(plugins, strategy={"name": "ali", "d_steps": 0})
    assert str(caught.value) == "strategy: 'd_steps' must be > 0, got 0"
    with pytest.raises(ConfigError, match=r"discriminator: 'dropout' must be below 1, got 1\.0"):
        experiment(plugins, discriminator={"name": "pair-mlp", "dropout": 1.0})


def test_misconfigurations_from_the_command_line(tmp_path):
    """Through ``ganframe train --config``, with the built-in ``file`` data: exit 2, one error line.
    The three commands run at once (each mostly imports PyTorch)."""
    np.save(tmp_path / "points.npy", np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32))
    running = {}
    for case in sorted(BAD):
        raw = config(**BAD[case][0])
        raw["data"] = {"name": "file", "path": str(tmp_path / "points.npy")}
        path = tmp_path / f"{case.replace(' ', '-')}.toml"
        path.write_text(tomli_w.dumps(raw))
        running[case] = subprocess.Popen(
            [str(GANFRAME), "train", "--config", str(path), "--out", str(tmp_path / case.replace(" ", "-")), "--quiet"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    for case, process in running.items():
        _, stderr = process.communicate(timeout=120)
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert process.returncode == 2, (case, stderr)
        assert len(lines) == 1 and lines[0].startswith("ganframe: error: "), (case, stderr)
        check_one_line(lines[0].removeprefix("ganframe: error: "), case, "ali")
