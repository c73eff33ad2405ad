"""Networks by role: a third network declared in the config is built from the seeded stream, trained
through the one update path, reachable from strategies, losses and metrics, saved in checkpoints and
resumed bit for bit; and every mistake about roles is one line naming the component and the role."""

from __future__ import annotations

import copy

import family_plugin
import pytest
import torch

import ganframe
from ganframe import ConfigError, Experiment, RunDirectoryError
from ganframe.testing import fresh_plugins

ENCODER = {"name": "mlp", "input": "data", "output": "noise", "hidden": [8], "optimizer": {"name": "adam", "lr": 1e-2}}


@pytest.fixture(scope="module")
def family():
    import ganframe_toy

    return fresh_plugins(ganframe_toy, family_plugin, entry_points=False)


def with_encoder(tiny: dict, **changes) -> dict:
    raw = copy.deepcopy(tiny)
    raw.update({"networks": {"encoder": ENCODER}, "strategy": {"name": "reconstruct"}}, **changes)
    return raw


def weights(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in module.state_dict().items()}


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_a_third_role_is_built_from_its_config(family, tiny):
    experiment = Experiment.from_dict(with_encoder(tiny), plugins=family)
    assert list(experiment.networks) == ["generator", "discriminator", "encoder"]
    encoder = experiment.networks["encoder"]
    assert encoder(torch.zeros(5, 1)).shape == (5, 2)  # one example (1 number) → noise (2 numbers)
    assert experiment.optimizers["encoder"].param_groups[0]["lr"] == 1e-2
    assert experiment.trainer.roles == ("generator", "discriminator", "encoder")
    assert experiment.config.networks["encoder"].optimizer.name == "adam"
    # The config round-trips through TOML with the role in [networks.encoder].
    text = experiment.config.to_toml()
    assert "[networks.encoder]" in text and 'output = "noise"' in text
    assert Experiment.from_dict(experiment.config.to_dict(), plugins=family).config == experiment.config


def test_adding_a_role_leaves_the_other_networks_initial_weights_alone(family, tiny):
    two = Experiment.from_dict(tiny, plugins=family)
    three = Experiment.from_dict(with_encoder(tiny), plugins=family)
    assert same(weights(two.generator), weights(three.generator))
    assert same(weights(two.discriminator), weights(three.discriminator))
    again = Experiment.from_dict(with_encoder(tiny), plugins=family)
    assert same(weights(three.networks["encoder"]), weights(again.networks["encoder"]))  # seeded


def test_the_strategy_trains_the_third_role(family, tiny):
    experiment = Experiment.from_dict(with_encoder(tiny), plugins=family)
    before = weights(experiment.networks["encoder"])
    logs = experiment.strategy.train_round(experiment.trainer)
    assert set(logs) == {"d_loss", "g_loss", "e_loss"}
    assert not same(before, weights(experiment.networks["encoder"]))


def test_metrics_read_the_networks_by_role(family, tiny):
    raw = with_encoder(tiny, evaluation={"metrics": ["code-norm"], "samples": 100})
    report = Experiment.from_dict(raw, plugins=family).fit()
    assert set(report["metrics"]) == {"code_norm"} and report["metrics"]["code_norm"] > 0


def test_a_resumed_run_continues_every_role_bit_for_bit(family, tiny, tmp_path):
    whole = Experiment.from_dict(with_encoder(tiny), plugins=family)
    whole.fit(tmp_path / "whole")
    half = Experiment.from_dict(with_encoder(tiny), overrides={"train.steps": 3}, plugins=family)
    half.fit(tmp_path / "half")
    saved = torch.load(tmp_path / "half" / "checkpoints" / "last.pt", weights_only=True)
    assert list(saved["networks"]) == list(saved["optimizers"]) == ["generator", "discriminator", "encoder"]
    resumed = Experiment.load(tmp_path / "half", steps=6, plugins=family)
    resumed.fit(tmp_path / "half")
    for role in ("generator", "discriminator", "encoder"):
        assert same(weights(resumed.networks[role]), weights(whole.networks[role])), role
        assert same(resumed.optimizers[role].state_dict()["state"][0], whole.optimizers[role].state_dict()["state"][0])


def test_a_strategy_needing_a_role_the_experiment_lacks_fails_when_built(family, tiny):
    raw = copy.deepcopy(tiny) | {"strategy": {"name": "reconstruct"}}
    with pytest.raises(ConfigError) as caught:
        Experiment.from_dict(raw, plugins=family)
    assert str(caught.value) == (
        "strategy 'reconstruct' (plugin 'family_plugin') needs the network role 'encoder', which this experiment "
        "does not have (its roles: generator, discriminator); add a [networks.encoder] section"
    )


def test_a_metric_asking_for_a_missing_role_fails_when_built(family, tiny):
    raw = copy.deepcopy(tiny) | {"evaluation": {"metrics": ["code-norm"]}}
    with pytest.raises(
        ConfigError,
        match=r"^metric 'code-norm' \(plugin 'family_plugin'\) needs the network role "
        r"'encoder', which this experiment does not have",
    ):
        Experiment.from_dict(raw, plugins=family)


def test_a_loss_asking_for_a_missing_role_is_one_line(tiny):
    class NeedsCritic:
        @ganframe.hookimpl
        def register_losses(self, register):
            def make(config, context):
                context.network("critic")

            register("critic-loss", make)

    import ganframe_toy

    plugins = fresh_plugins(ganframe_toy, NeedsCritic(), entry_points=False)
    with pytest.raises(ConfigError) as caught:
        Experiment.from_dict(copy.deepcopy(tiny) | {"loss": "critic-loss"}, plugins=plugins)
    assert str(caught.value) == (
        "loss 'critic-loss' (plugin 'extra-1-NeedsCritic') needs the network role 'critic', which this experiment "
        "does not have (its roles: generator, discriminator); add a [networks.critic] section"
    )


def test_a_checkpoint_whose_roles_differ_from_the_config_is_refused(family, tiny, tmp_path, snapshot_of):
    run = tmp_path / "run"
    Experiment.from_dict(with_encoder(tiny), plugins=family).fit(run)
    config = (run / "config.toml").read_text()
    start = config.index("[networks.encoder]")
    end = config.index("[train]")
    config = (config[:start] + config[end:]).replace('name = "reconstruct"', 'name = "alternating"')
    (run / "config.toml").write_text(config)  # the role taken out of the config
    before = snapshot_of(run)
    with pytest.raises(RunDirectoryError) as caught:
        Experiment.load(run, plugins=family)
    assert str(caught.value).endswith(
        "holds the network roles discriminator, encoder, generator, but the config "
        "builds discriminator, generator (not in the config: encoder)"
    )
    assert snapshot_of(run) == before


def test_an_unknown_role_at_training_time_is_one_line_on_the_command_line(
    cli, assert_usage_error, tmp_path, monkeypatch, snapshot_of
):
    class UpdatesCritic:
        @ganframe.hookimpl
        def register_strategies(self, register):
            class Strategy:
                def train_round(self, trainer):
                    return {"c": trainer.update("critic", trainer.generate().mean())}

            register("critic-round", lambda config, context: Strategy())

    from ganframe import plugins as plugins_module

    real = plugins_module.load_plugins
    monkeypatch.setattr(
        plugins_module, "load_plugins", lambda disabled=(), **kw: real(disabled, extra=[UpdatesCritic()], **kw)
    )
    line = assert_usage_error(
        cli(
            "train",
            "toy",
            "--steps",
            "2",
            "--device",
            "cpu",
            "--quiet",
            "--set",
            "strategy=critic-round",
            "--out",
            tmp_path / "run",
        )
    )
    assert line == (
        "ganframe: error: strategy 'critic-round' (plugin 'extra-0-UpdatesCritic') needs the network "
        "role 'critic', which this experiment does not have (its roles: generator, discriminator); add "
        "a [networks.critic] section"
    )


def test_a_network_without_trainable_parameters_cannot_have_an_optimizer(family, tiny):
    raw = with_encoder(tiny)
    raw["networks"]["encoder"] = dict(ENCODER, hidden=[])
    experiment = Experiment.from_dict(raw, plugins=family)  # a linear encoder still learns
    assert sum(p.numel() for p in experiment.networks["encoder"].parameters()) == 2 * 1 + 2

    class Frozen:
        @ganframe.hookimpl
        def register_networks(self, register):
            def make(config, context):
                layer = torch.nn.Linear(1, 2)
                layer.requires_grad_(False)
                return layer

            register("frozen", make)

    import ganframe_toy

    plugins = fresh_plugins(ganframe_toy, family_plugin, Frozen(), entry_points=False)
    raw["networks"]["encoder"] = {"name": "frozen"}
    with pytest.raises(
        ConfigError,
        match=r"^the encoder network \('frozen'\) has no trainable parameters for its "
        r"optimizer 'adam' to train$",
    ):
        Experiment.from_dict(raw, plugins=plugins)


class DiscriminatorOnly:
    """A network extra that refuses every role but the discriminator."""

    @ganframe.hookimpl
    def register_network_extras(self, register):
        def factory(config, context):
            if context.role != "discriminator":
                raise ValueError("it only judges examples")
            return lambda network: network

        register("discriminator-only", factory)


def test_a_third_role_takes_extras_like_any_network(tiny):
    import ganframe_toy

    plugins = fresh_plugins(ganframe_toy, family_plugin, DiscriminatorOnly(), entry_points=False)
    raw = with_encoder(tiny)
    raw["networks"]["encoder"] = dict(ENCODER, extras=[{"name": "toy-scale", "factor": 3.0}])
    experiment = Experiment.from_dict(raw, plugins=plugins)
    encoder = experiment.networks["encoder"]
    assert type(encoder).__name__ == "Scale" and encoder.factor == 3.0
    x = torch.randn(5, *experiment.data.sample_shape)
    assert torch.equal(encoder(x), encoder.inner(x) * 3.0)
    assert experiment.fit()["steps"] == 6
    with pytest.raises(
        ConfigError,
        match=r"^networks.encoder.extras: 'discriminator-only' cannot be applied to this encoder: it only judges",
    ):
        raw["networks"]["encoder"] = dict(ENCODER, extras=["discriminator-only"])
        Experiment.from_dict(raw, plugins=plugins)
