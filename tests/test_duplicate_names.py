"""Two plugins registering one name: loading works, using the name is an error naming both plugins."""

from __future__ import annotations

import pytest
import torch

import ganframe
from ganframe import DuplicateNameError, Experiment
from ganframe.testing import fresh_plugins


class OtherMLP:
    """A second plugin that also calls its generator 'mlp'."""

    @ganframe.hookimpl
    def register_generators(self, register):
        register("mlp", lambda config, context: torch.nn.Identity(), description="an impostor")


class OtherGaussian:
    @ganframe.hookimpl
    def register_data_sources(self, register):
        register("toy-1d", lambda config, context: None)


EXPECTED = (
    "generator 'mlp' is registered by more than one plugin: 'ganframe.builtin.networks' and "
    "'extra-0-OtherMLP'; name the one you mean as 'ganframe.builtin.networks:mlp' or 'extra-0-OtherMLP:mlp', "
    "or disable one with --disable-plugin NAME or GANFRAME_DISABLE_PLUGINS"
)


def test_loading_keeps_both_registrations_and_reports_the_conflict():
    plugins = fresh_plugins(OtherMLP())
    assert plugins.broken == []  # neither plugin is at fault on its own
    assert plugins.registry.conflicts() == {("generators", "mlp"): ["ganframe.builtin.networks", "extra-0-OtherMLP"]}
    assert [entry.plugin for entry in plugins.registry.entries("generators") if entry.name == "mlp"] == [
        "ganframe.builtin.networks",
        "extra-0-OtherMLP",
    ]


def test_using_the_name_raises_an_error_naming_both_plugins(tiny):
    plugins = fresh_plugins(OtherMLP())
    with pytest.raises(DuplicateNameError) as caught:
        plugins.registry.component("generators", "mlp")
    assert str(caught.value) == EXPECTED
    with pytest.raises(DuplicateNameError, match=r"'ganframe.builtin.networks' and 'extra-0-OtherMLP'"):
        Experiment.from_dict(tiny, plugins=plugins)


def test_names_not_in_conflict_still_work(tiny):
    plugins = fresh_plugins(OtherGaussian())
    tiny["data"] = {"name": "file", "path": "missing.npy"}
    with pytest.raises(ganframe.ConfigError, match=r"missing.npy"):  # reaches the file data source
        Experiment.from_dict(tiny, plugins=plugins)
    with pytest.raises(DuplicateNameError, match="'toy' and 'extra-0-OtherGaussian'"):
        Experiment.from_setup("toy", plugins=plugins)


def test_the_same_kind_of_name_in_another_kind_is_no_conflict():
    class NoiseCalledMlp:
        @ganframe.hookimpl
        def register_noise(self, register):
            register("mlp", lambda config, context: None)

    plugins = fresh_plugins(NoiseCalledMlp())
    assert plugins.registry.conflicts() == {}
    assert plugins.registry.component("noise", "mlp").plugin == "extra-0-NoiseCalledMlp"


def test_disabling_one_of_the_two_resolves_the_conflict():
    plugins = fresh_plugins(OtherMLP(), disabled=["extra-0-OtherMLP"])
    assert plugins.registry.conflicts() == {}
    assert plugins.registry.component("generators", "mlp").plugin == "ganframe.builtin.networks"


def test_plugins_command_prints_the_conflict(cli, monkeypatch):
    from ganframe import plugins as plugins_module

    real = plugins_module.load_plugins
    monkeypatch.setattr(
        plugins_module, "load_plugins", lambda disabled=(), **kw: real(disabled, extra=[OtherMLP()], **kw)
    )
    result = cli("plugins")
    assert result.code == 0
    assert (
        "CONFLICT: generator 'mlp' is registered by ganframe.builtin.networks, extra-0-OtherMLP"
        in result.out.splitlines()
    )


def test_a_qualified_name_picks_one_plugins_registration(tiny):
    plugins = fresh_plugins(OtherMLP())
    assert plugins.registry.component("generators", "extra-0-OtherMLP:mlp").description == "an impostor"
    ours = dict(tiny, generator={"name": "ganframe.builtin.networks:mlp", "hidden": [8]})
    experiment = Experiment.from_dict(ours, plugins=plugins)
    assert experiment.config.generator.name == "ganframe.builtin.networks:mlp"
    assert experiment.fit()["steps"] == 6
    assert "ganframe.builtin.networks:mlp" in experiment.config.to_toml()  # the run reloads the same choice
    with pytest.raises(ganframe.ConfigError) as caught:
        Experiment.from_dict(dict(tiny, generator={"name": "nobody:mlp"}), plugins=plugins)
    assert str(caught.value) == (
        "generator.name: unknown plugin for the generator 'mlp': 'nobody'; available: "
        "extra-0-OtherMLP, ganframe.builtin.networks"
    )


def test_registering_a_name_twice_in_one_plugin_says_so():
    class Twice:
        @ganframe.hookimpl
        def register_losses(self, register):
            register("hinge2", lambda config, context: None)
            register("hinge2", lambda config, context: None)

    plugins = fresh_plugins(Twice(), entry_points=False)
    (broken,) = plugins.broken
    assert broken.error == "plugin 'extra-0-Twice' registered the loss 'hinge2' twice; register each name once per kind"
    assert "hinge2" not in plugins.registry.names("losses")
