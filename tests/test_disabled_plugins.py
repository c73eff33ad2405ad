"""Disabling plugins: by argument, by GANFRAME_DISABLE_PLUGINS and by ``--disable-plugin``."""

from __future__ import annotations

import pytest

from ganframe import Experiment, UnknownNameError, load_plugins
from ganframe.plugins import DISABLE_ENV, disabled_from_environment


def loaded(plugins) -> set[str]:
    return {info.name for info in plugins.infos}


def registered_by(plugins, kind: str, plugin: str) -> list[str]:
    """Names of ``kind`` that ``plugin`` registered (other installed plugins may add more)."""
    return [entry.name for entry in plugins.registry.entries(kind) if entry.plugin == plugin]


def test_disabled_argument_drops_the_plugin_and_its_components():
    plugins = load_plugins(disabled=["toy"], use_environment=False)
    assert "toy" not in loaded(plugins)
    assert "toy" not in plugins.registry.names("setups")
    assert "toy-1d" not in plugins.registry.names("data-sources")
    assert plugins.disabled == {"toy"}
    with pytest.raises(UnknownNameError, match="unknown setup 'toy'"):
        Experiment.from_setup("toy", plugins=plugins)


def test_a_builtin_plugin_is_disabled_by_its_module_name():
    plugins = load_plugins(disabled=["ganframe.builtin.losses"], use_environment=False)
    assert not {"minimax", "non-saturating"} & set(plugins.registry.names("losses"))
    assert "ganframe.builtin.losses" not in loaded(plugins)
    assert registered_by(plugins, "generators", "ganframe.builtin.networks") == ["mlp"]  # other built-ins stay


def test_environment_variable_is_read_as_a_comma_separated_list(monkeypatch):
    assert disabled_from_environment({DISABLE_ENV: " toy, ,ganframe.builtin.metrics ,"}) == {
        "toy",
        "ganframe.builtin.metrics",
    }
    monkeypatch.setenv(DISABLE_ENV, "toy,ganframe.builtin.metrics")
    plugins = load_plugins()
    assert not {"toy", "ganframe.builtin.metrics"} & loaded(plugins)
    assert not {"moments", "wasserstein", "ks"} & set(plugins.registry.names("metrics"))
    assert plugins.disabled == {"toy", "ganframe.builtin.metrics"}


def test_environment_variable_adds_to_the_argument_and_can_be_ignored(monkeypatch):
    monkeypatch.setenv(DISABLE_ENV, "toy")
    both = load_plugins(disabled=["ganframe.builtin.metrics"])
    assert both.disabled == {"toy", "ganframe.builtin.metrics"}
    ignored = load_plugins(disabled=["ganframe.builtin.metrics"], use_environment=False)
    assert ignored.disabled == {"ganframe.builtin.metrics"} and "toy" in loaded(ignored)


def test_an_unknown_name_disables_nothing_and_is_not_an_error():
    # A list shared between machines may name plugins that are not installed everywhere.
    everything = load_plugins(use_environment=False)
    plugins = load_plugins(disabled=["no-such-plugin"], use_environment=False)
    assert loaded(plugins) == loaded(everything)
    assert plugins.broken == []
    assert plugins.disabled == {"no-such-plugin"}
    assert plugins.unmatched_disabled == {"no-such-plugin"}
    assert load_plugins(disabled=["toy"], use_environment=False).unmatched_disabled == frozenset()


def test_disable_plugin_flag_hides_the_plugin_from_list_and_plugins(cli):
    listing = cli("--disable-plugin", "toy", "--disable-plugin", "ganframe.builtin.metrics", "list")
    assert listing.code == 0 and listing.err == ""
    assert "[toy]" not in listing.out and "  toy-1d  " not in listing.out
    assert "[ganframe.builtin.metrics]" not in listing.out
    assert "[ganframe.builtin.networks]" in listing.out  # the other built-ins stay
    shown = cli("--disable-plugin", "toy", "plugins")
    assert shown.code == 0
    assert not any(line.startswith("toy  [") for line in shown.out.splitlines())
    assert shown.out.splitlines()[-1] == "disabled: toy"


def test_the_plugins_command_shows_names_that_matched_no_plugin(cli):
    shown = cli("--disable-plugin", "no-such-plugin", "plugins")
    assert shown.code == 0 and shown.err == ""
    assert shown.out.splitlines()[-1] == "asked to disable, but no plugin has that name: no-such-plugin"
    assert not any(line.startswith("disabled:") for line in shown.out.splitlines())
    assert any(line.startswith("toy  [") for line in shown.out.splitlines())


def test_other_commands_warn_about_a_name_that_matched_no_plugin(cli):
    # Probably a typo: the plugin the user meant to switch off is still loaded.
    listing = cli("--disable-plugin", "tyo", "list", "setups")
    assert listing.code == 0
    assert listing.err == (
        "ganframe: warning: cannot disable 'tyo': no plugin has that name (see 'ganframe plugins')\n"
    )
    assert "toy" in listing.out


def test_training_a_setup_of_a_disabled_plugin_is_a_one_line_error(cli, assert_usage_error, monkeypatch, tmp_path):
    train = ["train", "toy", "--out", "run", "--steps", "1", "--device", "cpu", "--quiet"]  # short if it ran
    line = assert_usage_error(cli("--disable-plugin", "toy", *train))
    assert line.startswith("ganframe: error: unknown setup 'toy'")
    monkeypatch.setenv(DISABLE_ENV, "toy")
    assert assert_usage_error(cli(*train)) == line
    assert not (tmp_path / "run").exists()
