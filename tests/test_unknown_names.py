"""Unknown names: the error lists what is available and suggests the closest name."""

from __future__ import annotations

import pytest

from ganframe import ConfigError, Experiment, UnknownNameError
from ganframe.errors import closest_match, describe_choices


def test_closest_match_and_choices():
    assert closest_match("tyo", ["toy", "mnist"]) == "toy"
    assert closest_match("zzz", ["toy", "mnist"]) is None
    assert describe_choices("zzz", ["a", "b"]) == "available: a, b"
    assert describe_choices("mlpp", ["cnn", "mlp"]) == "did you mean 'mlp'? available: cnn, mlp"


def test_unknown_setup(plugins):
    with pytest.raises(UnknownNameError) as caught:
        Experiment.from_setup("tyo", plugins=plugins)
    assert str(caught.value) == "unknown setup 'tyo'; did you mean 'toy'? available: toy, toy2d"
    assert caught.value.available == ["toy", "toy2d"] and caught.value.name == "tyo"


def test_unknown_preset(plugins):
    with pytest.raises(
        UnknownNameError,
        match=r"'tutorail'; did you mean 'tutorial'\? "
        r"available: default, tutorial, tutorial-moments$",
    ):
        Experiment.from_setup("toy", "tutorail", plugins=plugins)


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("generator", "mlpp", "generator.name: unknown generator 'mlpp'; did you mean 'mlp'? available: mlp"),
        (
            "loss",
            "minmax",
            "loss.name: unknown loss 'minmax'; did you mean 'minimax'? available: minimax, non-saturating",
        ),
        ("noise", "gauss", "noise.name: unknown noise 'gauss'; available: bits, normal, uniform"),
        (
            "strategy",
            "alternate",
            "strategy.name: unknown strategy 'alternate'; did you mean 'alternating'? available: alternating, toy-judged",
        ),
    ],
)
def test_unknown_component_in_compose(plugins, where, value, message):
    with pytest.raises(ConfigError) as caught:
        Experiment.compose(data="toy-1d", plugins=plugins, **{where: value})
    assert str(caught.value) == message


def test_unknown_optimizer_and_metric(plugins, tiny):
    with pytest.raises(
        ConfigError,
        match=r"^generator.optimizer.name: unknown optimizer 'adamw'; "
        r"did you mean 'adam'\? available: adam, rmsprop, sgd$",
    ):
        Experiment.from_dict(tiny, overrides={"generator.optimizer.name": "adamw"}, plugins=plugins)
    with pytest.raises(
        ConfigError,
        match=r"^evaluation.metrics: unknown metric 'wasserstien'; "
        r"did you mean 'wasserstein'\?",
    ):
        Experiment.from_dict(tiny, overrides={"evaluation.metrics": ["wasserstien"]}, plugins=plugins)


def test_unknown_data_source_lists_the_available_ones(plugins, tiny):
    tiny["data"] = {"name": "toy1d"}
    with pytest.raises(ConfigError) as caught:
        Experiment.from_dict(tiny, plugins=plugins)
    assert str(caught.value) == (
        "data.name: unknown data source 'toy1d'; did you mean 'toy-1d'? available: file, toy-1d, toy-2d, toy-counts"
    )


def test_cli_unknown_setup_is_one_line_and_exit_2(cli, assert_usage_error, tmp_path, installed_setups):
    line = assert_usage_error(cli("train", "tyo", "--out", tmp_path / "run"))
    assert line == f"ganframe: error: unknown setup 'tyo'; did you mean 'toy'? available: {installed_setups}"
    assert not (tmp_path / "run").exists()


def test_cli_unknown_preset_and_component(cli, assert_usage_error, tmp_path):
    line = assert_usage_error(cli("train", "toy", "--preset", "tutorail", "--out", tmp_path / "run"))
    assert "did you mean 'tutorial'?" in line
    line = assert_usage_error(
        cli(
            "train",
            "toy",
            "--set",
            "loss.name=minmax",
            "--out",
            tmp_path / "run",
            "--steps",
            "1",
            "--device",
            "cpu",
            "--quiet",
        )
    )
    assert line.startswith("ganframe: error: loss.name: unknown loss 'minmax'; did you mean 'minimax'?")
    assert not (tmp_path / "run").exists()


def test_cli_unknown_kind_in_list(cli, assert_usage_error):
    line = assert_usage_error(cli("list", "generater"))
    assert line.startswith("ganframe: error: unknown kind 'generater'; did you mean 'generators'? available: ")


def test_cli_list_accepts_singular_kind_names(cli):
    result = cli("list", "loss")
    assert result.code == 0
    assert result.out.splitlines()[0] == "losses:"
    listed = [line.split()[0] for line in result.out.splitlines()[1:]]  # every installed plugin's too
    assert {"minimax", "non-saturating"} <= set(listed) and listed == sorted(listed)
    result = cli("list", "network-extra")
    assert result.code == 0 and result.out.splitlines()[0] == "network-extras:"


def test_with_no_setup_installed_the_error_says_to_install_one():
    from ganframe.testing import fresh_plugins

    with pytest.raises(UnknownNameError) as caught:
        Experiment.from_setup("toy", plugins=fresh_plugins(entry_points=False))
    assert str(caught.value) == (
        "unknown setup 'toy'; none are available (is the plugin that provides it installed and enabled?)"
    )
