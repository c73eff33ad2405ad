"""Config validation: a wrong field name, type or value fails early, naming the field and what is allowed."""

from __future__ import annotations

import attrs
import pytest

from ganframe import ConfigError, Experiment, ExperimentConfig, TrainConfig
from ganframe.config import apply_overrides, parse_override, parse_value, read_toml, resolve_config


def resolve(plugins, raw):
    return resolve_config(raw, plugins.registry)


# -- from a dict (the TOML layout) -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "message"),
    [
        # wrong field names: the path, the closest name and every allowed name
        (
            {"generator.hiden": [8]},
            "unknown option generator.hiden; did you mean 'hidden'? available: hidden, "
            "activation, negative_slope, output_activation, init_std",
        ),
        (
            {"train.step": 3},
            "unknown option train.step; did you mean 'steps'? available: "
            + ", ".join(field.name for field in attrs.fields(TrainConfig)),
        ),
        (
            {"discriminator.optimizer.beta": [0.5, 0.9]},
            "unknown option discriminator.optimizer.beta; did you mean "
            "'betas'? available: lr, betas, eps, weight_decay, implementation",
        ),
        # wrong types
        ({"train.steps": "10"}, "train: steps: expected int, got '10'"),
        ({"train.steps": True}, "train: steps: expected int, got True"),
        ({"train.batch_size": 16.5}, "train: batch_size: expected int, got 16.5"),
        ({"generator.hidden": "64"}, "generator: hidden: expected a list, got '64'"),
        ({"generator.hidden": [8, "x"]}, "generator: hidden: expected int, got 'x'"),
        ({"data.std": "big"}, "data: std: expected int or float, got 'big'"),
        ({"discriminator.output": 1}, "discriminator: output: expected str, got 1"),
        (
            {"networks": {"encoder": {"name": "mlp", "input": 2.5}}},
            "networks.encoder: input: expected a whole number or a name, got 2.5",
        ),
        ({"generator.optimizer.betas": [0.5]}, "generator.optimizer: betas: expected a list of 2 items, got [0.5]"),
        ({"seed": "1"}, "'seed' must be a non-negative integer, got '1'"),
        # wrong values: what is allowed
        ({"train.steps": 0}, "train: 'steps' must be > 0, got 0"),
        ({"train.eval_every": -1}, "train: 'eval_every' must be >= 0, got -1"),
        (
            {"train.lr_decay": "exponential"},
            "train: 'lr_decay' must be one of 'constant', 'linear', 'cosine', got 'exponential'",
        ),
        ({"strategy.order": "both"}, "strategy: 'order' must be one of 'd-first', 'g-first', got 'both'"),
        (
            {"networks": {"encoder": {"name": "mlp", "output": "latent"}}},
            "networks.encoder: 'output' must be \"data\", \"noise\" or a positive number, got 'latent'",
        ),
        ({"networks": {"encoder": {"hidden": [8]}}}, "[networks.encoder] needs a name; available: mlp"),
        (
            {"networks": {"Encoder": {"name": "mlp"}}},
            "[networks.Encoder]: a role name is lower-case letters, digits and '_', starting with a letter",
        ),
        (
            {"networks": {"generator": {"name": "mlp"}}},
            "[networks.generator]: the generator has a section of its own, [generator]",
        ),
        (
            {"networks": {"encoder": {"name": "mlpp"}}},
            "networks.encoder.name: unknown network 'mlpp'; did you mean 'mlp'? available: mlp",
        ),
        ({"networks": ["encoder"]}, "[networks] must be a table of roles such as [networks.encoder], got ['encoder']"),
        (
            {"generator.activation": "relux"},
            "generator: 'activation' must be one of relu, leaky-relu, elu, selu, gelu, "
            "tanh, sigmoid, silu, none, got 'relux'",
        ),
        ({"generator.hidden": [8, 0]}, "generator: 'hidden' sizes must be positive, got [8, 0]"),
        (
            {"discriminator.output": "scores"},
            "discriminator: 'output' must be one of 'logits', 'probabilities', got 'scores'",
        ),
        (
            {"generator.optimizer.betas": [0.5, 1.0]},
            "generator.optimizer: 'betas' must be two numbers in [0, 1), got [0.5, 1.0]",
        ),
        (
            {"generator.optimizer.name": "sgd", "generator.optimizer.nesterov": True},
            "generator.optimizer: 'nesterov' needs a 'momentum' greater than 0",
        ),
        (
            {"noise.name": "uniform", "noise.low": 1.0, "noise.high": 0.0},
            "noise: 'high' (0.0) must be greater than 'low' (1.0)",
        ),
        ({"data.std": 0}, "data: 'std' must be > 0, got 0.0"),
        ({"seed": -1}, "'seed' must be >= 0, got -1"),
        ({"device": "tpu"}, "'device' must be 'auto', 'cpu', 'cuda' or 'cuda:N', got 'tpu'"),
        ({"evaluation.samples": 0}, "evaluation: 'samples' must be > 0, got 0"),
    ],
)
def test_bad_values_in_a_config_dict(plugins, tiny, change, message):
    with pytest.raises(ConfigError) as caught:
        Experiment.from_dict(tiny, overrides=change, plugins=plugins)
    assert str(caught.value) == message


def test_unknown_top_level_key_lists_the_sections(plugins, tiny):
    tiny["trian"] = {"steps": 3}
    with pytest.raises(ConfigError) as caught:
        resolve(plugins, tiny)
    assert str(caught.value) == (
        "unknown config key 'trian'; did you mean 'train'? available: setup, preset, seed, device, conditional, "
        "conditional_input, data, noise, generator, discriminator, loss, strategy, networks, train, evaluation, "
        "logging"
    )


def test_a_config_without_data_says_how_to_name_one(plugins):
    with pytest.raises(ConfigError, match=r"^the config names no data source: add a \[data\] section"):
        resolve(plugins, {"train": {"steps": 3}})
    with pytest.raises(ConfigError, match=r"^\[data\] needs a name; available: file, toy-1d, toy-2d, toy-counts$"):
        resolve(plugins, {"data": {"mean": 1.0}})


def test_a_section_that_is_not_a_table(plugins, tiny):
    tiny["generator"] = 3
    with pytest.raises(ConfigError, match=r"^\[generator\] must be a table, got 3$"):
        resolve(plugins, tiny)


def test_a_component_without_options_refuses_options(plugins):
    with pytest.raises(ConfigError, match="takes no options"):
        plugins.registry.component("metrics", "moments").make_config({"bins": 3}, "evaluation.metrics.moments")


def test_a_name_alone_stands_for_a_section(plugins, tiny):
    tiny["loss"] = "minimax"
    tiny["noise"] = "uniform"
    config = resolve(plugins, tiny)
    assert config.loss.name == "minimax" and config.loss.config.d_terms == "sum"
    assert config.noise.name == "uniform" and config.noise.config.dim == 16


def test_defaults_fill_every_left_out_section(plugins):
    config = resolve(plugins, {"data": "toy-1d"})
    assert (
        config.noise.name,
        config.generator.name,
        config.discriminator.name,
        config.loss.name,
        config.strategy.name,
    ) == ("normal", "mlp", "mlp", "non-saturating", "alternating")
    assert config.generator.optimizer.name == config.discriminator.optimizer.name == "adam"
    assert config.train == TrainConfig()
    assert config.seed == 0 and config.device == "auto"


def test_a_config_survives_the_round_trip_through_its_dict_and_toml(plugins, tiny, tmp_path):
    tiny["strategy"] = {"name": "alternating", "d_steps": 2, "order": "g-first"}
    tiny["generator"]["optimizer"] = {"name": "sgd", "lr": 0.01, "momentum": 0.5}
    config = resolve(plugins, tiny)
    assert resolve(plugins, config.to_dict()) == config
    (tmp_path / "c.toml").write_text(config.to_toml())
    assert resolve(plugins, read_toml(tmp_path / "c.toml")) == config


# -- in Python: the config classes themselves --------------------------------------------------------
def test_train_config_checks_its_fields_when_built_in_python():
    with pytest.raises(ValueError, match=r"^'steps' must be > 0, got 0$"):
        TrainConfig(steps=0)
    with pytest.raises(TypeError, match=r"^'steps' must be a number, got '10'$"):
        TrainConfig(steps="10")
    with pytest.raises(TypeError, match=r"^'log_every' must be a number, got True$"):
        TrainConfig(log_every=True)
    with pytest.raises(ValueError, match=r"'lr_decay' must be one of 'constant', 'linear', 'cosine', got 'step'"):
        TrainConfig(lr_decay="step")
    with pytest.raises(TypeError, match="stepz"):
        TrainConfig(stepz=3)


def test_worded_gives_any_attrs_validator_ganframes_wording_and_description():
    from ganframe.config import Worded
    from ganframe.options import describe_options

    @attrs.frozen
    class Options:
        odds: float = attrs.field(default=2.0, validator=Worded(attrs.validators.gt(1), "> 1"))
        side: str = attrs.field(
            default="left", validator=Worded(attrs.validators.in_(("left", "right")), "left or right", numeric=False)
        )

    with pytest.raises(ValueError, match=r"^'odds' must be > 1, got 1$"):
        Options(odds=1)
    with pytest.raises(ValueError, match=r"^'odds' must be a finite number, got inf$"):
        Options(odds=float("inf"))
    with pytest.raises(ValueError, match=r"^'side' must be left or right, got \['left'\]$"):
        Options(side=["left"])
    assert [option.constraint for option in describe_options(Options)] == ["> 1", 'one of "left", "right"']


def test_experiment_config_checks_seed_and_device(plugins, tiny):
    config = resolve(plugins, tiny)
    with pytest.raises(ValueError, match=r"'seed' must be >= 0, got -2"):
        attrs.evolve(config, seed=-2)
    with pytest.raises(TypeError, match="'seed' must be <class 'int'>"):
        attrs.evolve(config, seed="3")
    with pytest.raises(ValueError, match=r"^'device' must be 'auto', 'cpu', 'cuda' or 'cuda:N', got 'gpu'$"):
        attrs.evolve(config, device="gpu")
    with pytest.raises(ValueError, match=r"^'device' must be 'auto', 'cpu', 'cuda' or 'cuda:N', got 0$"):
        attrs.evolve(config, device=0)
    assert attrs.evolve(config, device="cuda:1").device == "cuda:1"
    with pytest.raises(TypeError, match="missing 6 required keyword-only arguments"):
        ExperimentConfig()


def test_an_experiment_accepts_a_resolved_config(plugins, tiny):
    config = resolve(plugins, tiny)
    assert Experiment(config, plugins=plugins).config is config


# -- --set overrides ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("1e-3", 0.001),
        ("true", True),
        ("[64, 64]", [64, 64]),
        ('"mlp"', "mlp"),
        ("'mlp'", "mlp"),
        ("leaky-relu", "leaky-relu"),
        ("cuda:0", "cuda:0"),
        ("-2", -2),
    ],
)
def test_set_values_are_read_as_toml_or_as_bare_words(text, value):
    assert parse_value(text) == value and type(parse_value(text)) is type(value)


@pytest.mark.parametrize("item", ["train.steps", "=3", "train..steps=3", ".steps=3", "train.=3"])
def test_set_needs_key_equals_value(item):
    with pytest.raises(ConfigError) as caught:
        parse_override(item)
    assert str(caught.value) == f"--set expects KEY=VALUE such as train.steps=500, got {item!r}"


@pytest.mark.parametrize("text", ["[1,", "", "  ", '"open', "{a"])
def test_set_values_that_look_like_toml_must_be_toml(text):
    with pytest.raises(ConfigError, match=r"^cannot read .* as a value: use TOML syntax such as 3, 0.5, true"):
        parse_override(f"train.steps={text}")


def test_overrides_set_nested_keys_and_expand_a_named_section():
    raw = {"generator": "mlp", "train": {"steps": 3}}
    out = apply_overrides(raw, {"generator.hidden": [4], "train.batch_size": 8, "strategy.d_steps": 2})
    assert out == {
        "generator": {"name": "mlp", "hidden": [4]},
        "train": {"steps": 3, "batch_size": 8},
        "strategy": {"d_steps": 2},
    }
    assert raw == {"generator": "mlp", "train": {"steps": 3}}  # the input is not changed


def test_naming_another_component_drops_the_old_ones_options():
    raw = {
        "loss": {"name": "minimax", "d_terms": "sum"},
        "generator": {"name": "mlp", "hidden": [4], "optimizer": {"lr": 0.1}, "extras": ["x"]},
        "discriminator": {"name": "mlp", "optimizer": {"name": "adam", "betas": [0.5, 0.9]}},
        "networks": {"encoder": {"name": "mlp", "output": 4, "optimizer": "sgd"}},
        "strategy": {"name": "alternating", "d_steps": 2},
    }
    # The new component's own options apply, set before or after its name.
    out = apply_overrides(
        raw,
        {
            "loss.r1": 1.0,
            "loss.name": "hinge",
            "generator.name": "other",
            "strategy.name": "alternating",
            "discriminator.optimizer.name": "sgd",
            "networks.encoder.name": "conv",
            "networks.encoder.optimizer.lr": 0.5,
        },
    )
    assert out["loss"] == {"name": "hinge", "r1": 1.0}
    assert out["generator"] == {"name": "other", "optimizer": {"lr": 0.1}, "extras": ["x"]}  # network: kept
    assert out["strategy"] == {"name": "alternating", "d_steps": 2}  # the same name: options stay
    assert out["discriminator"]["optimizer"] == {"name": "sgd"}  # Adam's betas were Adam's
    assert out["networks"]["encoder"] == {"name": "conv", "optimizer": {"name": "sgd", "lr": 0.5}}
    assert apply_overrides({"loss": "minimax"}, {"loss.name": "hinge"}) == {"loss": {"name": "hinge"}}


def test_an_override_cannot_descend_into_a_value():
    with pytest.raises(ConfigError, match=r"^cannot set train.steps.x: train.steps is a value \(3\), not a section$"):
        apply_overrides({"train": {"steps": 3}}, {"train.steps.x": 1})


def test_cli_set_errors_name_the_field(cli, assert_usage_error, tmp_path):
    out = tmp_path / "run"
    train = ["train", "toy", "--out", out, "--device", "cpu", "--quiet"]
    assert assert_usage_error(cli(*train, "--set", "train.steps=abc")) == (
        "ganframe: error: train: steps: expected int, got 'abc'"
    )
    assert assert_usage_error(cli(*train, "--steps", "1", "--set", "generator.hiden=[8]")).startswith(
        "ganframe: error: unknown option generator.hiden; did you mean 'hidden'? available: hidden, "
    )
    assert assert_usage_error(cli(*train, "--steps", "1", "--set", "strategy.order=both")) == (
        "ganframe: error: strategy: 'order' must be one of 'd-first', 'g-first', got 'both'"
    )
    assert not out.exists()


# -- config files ----------------------------------------------------------------------------------
def test_config_file_errors_are_one_line(tmp_path):
    with pytest.raises(ConfigError, match=r"^config file '.*nope.toml' does not exist$"):
        read_toml(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="is a directory"):
        read_toml(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text("[train\nsteps = 3\n")
    with pytest.raises(ConfigError, match=r"^config file '.*bad.toml' is not valid TOML: "):
        read_toml(bad)
