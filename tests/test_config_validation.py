"""Bad configuration input is a one-line ConfigError (exit status 2 from the CLI), never accepted
nonsense, a traceback (exit status 1) or a hang: non-finite floats, numbers beyond their limits or
beyond 64 bits, setup and preset given as overrides, every spelling of naming a component, config
files that are not small UTF-8 TOML, and wrong types anywhere in a config."""

from __future__ import annotations

import json
import math
import os
import sys
import time

import attrs
import pytest
import tomllib

from ganframe import ConfigError, Experiment, GanframeError, UnknownNameError
from ganframe.builtin.noise import UniformNoiseConfig
from ganframe.builtin.optimizers import AdamConfig
from ganframe.config import (
    COMPONENT_SECTIONS,
    MAX_CONFIG_BYTES,
    MAX_INT,
    MAX_NESTING,
    TrainConfig,
    apply_overrides,
    at_most,
    count_up_to,
    layer_sizes,
    merge_configs,
    parse_override,
    parse_value,
    read_toml,
    resolve_config,
    structure_options,
)
from ganframe.options import describe_options, describe_validator
from ganframe.snapshots import snapshot_steps

BIG = 99999999999999999999  # past 2**63: TOML cannot hold it, --set and Python dicts can


def refused(plugins, raw, overrides=None) -> str:
    with pytest.raises(ConfigError) as caught:
        Experiment.from_dict(raw, overrides=overrides or {}, plugins=plugins)
    message = str(caught.value)
    assert "\n" not in message
    return message


# -- 1. infinity and NaN ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"generator.optimizer.lr": math.inf}, "generator.optimizer: lr: must be a finite number, got inf"),
        ({"discriminator.optimizer.lr": math.nan}, "discriminator.optimizer: lr: must be a finite number, got nan"),
        ({"generator.optimizer.eps": math.inf}, "generator.optimizer: eps: must be a finite number, got inf"),
        (
            {"generator.optimizer.betas": [0.5, math.nan]},
            "generator.optimizer: betas: must be a finite number, got nan",
        ),
        (
            {"generator.optimizer.name": "rmsprop", "generator.optimizer.eps": math.inf},
            "generator.optimizer: eps: must be a finite number, got inf",
        ),
        ({"data.std": math.inf}, "data: std: must be a finite number, got inf"),
        ({"data.mean": math.nan}, "data: mean: must be a finite number, got nan"),
        ({"data.mean": -math.inf}, "data: mean: must be a finite number, got -inf"),
        ({"data.mean": 1e300 * 1e10}, "data: mean: must be a finite number, got inf"),
        # whole numbers are 64-bit in TOML, whatever the option
        (
            {"data.mean": 2**64},
            "data: mean: a whole number must be between -9223372036854775808 and "
            "9223372036854775807 (write a larger number as a float, such as 1e20), got 18446744073709551616",
        ),
        (
            {"generator.negative_slope": -(2**63) - 1},
            "generator: negative_slope: a whole number must be between "
            "-9223372036854775808 and 9223372036854775807 (write a larger number as "
            "a float, such as 1e20), got -9223372036854775809",
        ),
        ({"generator.negative_slope": math.nan}, "generator: negative_slope: must be a finite number, got nan"),
        ({"discriminator.negative_slope": math.inf}, "discriminator: negative_slope: must be a finite number, got inf"),
        ({"generator.init_std": math.inf}, "generator: init_std: must be a finite number, got inf"),
        ({"noise": "uniform", "noise.low": -math.inf}, "noise: low: must be a finite number, got -inf"),
        ({"noise": "uniform", "noise.high": math.inf}, "noise: high: must be a finite number, got inf"),
        (
            {"noise": "uniform", "noise.low": -1e308, "noise.high": 1e308},
            "noise: 'high' - 'low' must be a finite number, got 1e+308 - -1e+308",
        ),
        (
            {"discriminator.extras": [{"name": "toy-scale", "factor": math.inf}]},
            "discriminator.extras[0]: factor: must be a finite number, got inf",
        ),
        ({"data.mean": math.nan}, "data: mean: must be a finite number, got nan"),
    ],
)
def test_infinity_and_nan_are_refused_for_every_float_option(plugins, tiny, overrides, message):
    assert refused(plugins, tiny, overrides) == message


def test_ranges_still_apply_to_finite_values(plugins, tiny):
    assert refused(plugins, tiny, {"generator.optimizer.eps": 0}) == "generator.optimizer: 'eps' must be > 0, got 0.0"
    assert refused(plugins, tiny, {"noise": "uniform", "noise.low": 2, "noise.high": 2}) == (
        "noise: 'high' (2.0) must be greater than 'low' (2.0)"
    )
    assert refused(plugins, tiny, {"generator.optimizer.name": "sgd", "generator.optimizer.momentum": 1.0}) == (
        "generator.optimizer: 'momentum' must be below 1, got 1.0"
    )
    assert refused(plugins, tiny, {"generator.optimizer.name": "rmsprop", "generator.optimizer.alpha": 1.5}) == (
        "generator.optimizer: 'alpha' must be below 1, got 1.5"
    )


def test_configs_built_in_python_refuse_infinity_too():
    with pytest.raises(ValueError, match=r"^'lr' must be a finite number, got inf$"):
        AdamConfig(lr=math.inf)
    with pytest.raises(ValueError, match=r"^'low' must be a finite number, got -inf$"):
        UniformNoiseConfig(low=-math.inf)


def test_cli_refuses_an_infinite_learning_rate(cli, assert_usage_error, tmp_path):
    out = tmp_path / "run"
    for value in ("inf", "nan", "-inf"):
        line = assert_usage_error(
            cli(
                "train",
                "toy",
                "--steps",
                "3",
                "--out",
                out,
                "--device",
                "cpu",
                "--quiet",
                "--set",
                f"generator.optimizer.lr={value}",
            )
        )
        assert line == f"ganframe: error: generator.optimizer: lr: must be a finite number, got {value}"
    assert not out.exists()


# -- 2. limits on counts and sizes ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("train.batch_size", BIG, f"train: 'batch_size' must be at most 1000000, got {BIG}"),
        ("train.batch_size", 1_000_001, "train: 'batch_size' must be at most 1000000, got 1000001"),
        ("train.threads", BIG, f"train: 'threads' must be at most 1024, got {BIG}"),
        ("train.steps", BIG, f"train: 'steps' must be at most 1000000000000, got {BIG}"),
        ("train.steps", 2**63, f"train: 'steps' must be at most 1000000000000, got {2**63}"),
        ("train.log_every", BIG, f"train: 'log_every' must be at most 1000000000000, got {BIG}"),
        ("train.eval_every", BIG, f"train: 'eval_every' must be at most 1000000000000, got {BIG}"),
        ("train.checkpoint_every", BIG, f"train: 'checkpoint_every' must be at most 1000000000000, got {BIG}"),
        ("logging.snapshots", 2**63, f"logging: 'snapshots' must be at most 10000, got {2**63}"),
        ("evaluation.samples", 10**12, "evaluation: 'samples' must be at most 10000000, got 1000000000000"),
        ("noise.dim", BIG, f"noise: 'dim' must be at most 1000000, got {BIG}"),
        ("generator.hidden", [10_000_000_000], "generator: 'hidden' sizes must be at most 1000000, got [10000000000]"),
        ("discriminator.outputs", BIG, f"discriminator: 'outputs' must be at most 1000000, got {BIG}"),
        ("strategy.d_steps", BIG, f"strategy: 'd_steps' must be at most 10000, got {BIG}"),
        ("seed", BIG, f"'seed' must be at most {MAX_INT}, got {BIG}"),
    ],
)
def test_counts_and_sizes_have_limits_named_in_the_message(plugins, tiny, key, value, message):
    assert refused(plugins, tiny, {key: value}) == message


def test_a_network_too_large_to_allocate_is_refused_before_it_is(plugins, tiny):
    started = time.perf_counter()
    message = refused(plugins, tiny, {"generator.hidden": [1_000_000, 1_000_000]})
    assert message == (
        "generator: layers of sizes [2, 1000000, 1000000, 1] would have 1000005000001 parameters; "
        "a network may have at most 1000000000"
    )
    assert refused(plugins, tiny, {"networks.encoder": {"name": "mlp", "hidden": [1_000_000, 1_000_000]}}).startswith(
        "networks.encoder: layers of sizes [1, 1000000, 1000000, 2] would have "
    )
    assert time.perf_counter() - started < 10


def test_an_option_without_a_limit_still_fits_in_64_bits():
    @attrs.frozen
    class Counts:
        n: int = 1
        sizes: tuple[int, ...] = ()

    assert structure_options(Counts, {"n": MAX_INT}, "x").n == MAX_INT
    with pytest.raises(ConfigError, match=rf"^x: 'n' must be at most {MAX_INT}, got {2**63}$"):
        structure_options(Counts, {"n": 2**63}, "x")
    with pytest.raises(ConfigError, match=rf"^x: 'sizes' must be at least {-MAX_INT - 1}, got {-BIG}$"):
        structure_options(Counts, {"sizes": [1, -BIG]}, "x")


def test_cli_refuses_a_batch_size_past_64_bits(cli, assert_usage_error, tmp_path):
    for key in ("train.batch_size", "train.threads"):
        line = assert_usage_error(
            cli(
                "train",
                "toy",
                "--steps",
                "3",
                "--out",
                tmp_path / "run",
                "--quiet",
                "--device",
                "cpu",
                "--set",
                f"{key}={BIG}",
            )
        )
        assert line.startswith(f"ganframe: error: train: '{key.split('.')[1]}' must be at most ")
        assert line.endswith(f", got {BIG}")


def test_snapshots_never_iterate_past_the_steps():
    started = time.perf_counter()
    assert snapshot_steps(3, None, 10**15) == {0, 1, 2, 3}
    assert snapshot_steps(3, 1, 10**15) == {0, 1, 2, 3}
    assert snapshot_steps(100, None, 4) == {0, 25, 50, 75, 100}
    assert time.perf_counter() - started < 1


def test_many_snapshots_and_few_steps_train_at_once(cli, tiny_cli, tmp_path):
    result = cli(
        "train",
        "toy",
        "--steps",
        "3",
        "--out",
        tmp_path / "run",
        *tiny_cli,
        "--set",
        "logging.snapshots=10000",
        "--set",
        "logging.report=false",
    )
    assert result.code == 0, result.err


def test_show_prints_the_new_limits():
    assert describe_validator(at_most(5)) == "<= 5"
    assert describe_validator(count_up_to(7)) == "> 0, <= 7"
    assert describe_validator(layer_sizes) == "each 1 to 1000000"
    constraints = {option.name: option.constraint for option in describe_options(TrainConfig)}
    assert constraints["batch_size"] == "> 0, <= 1000000"
    assert constraints["threads"] == "> 0, <= 1024"
    assert constraints["eval_every"] == ">= 0, <= 1000000000000"


def test_show_a_component_with_limits(cli):
    lines = cli("show", "noise", "normal").out.splitlines()
    assert "  dim: int = 16  (> 0, <= 1000000)" in lines
    lines = cli("show", "optimizer", "sgd").out.splitlines()
    assert "  momentum: float = 0.0  (>= 0, < 1)" in lines


def test_one_activation_per_hidden_layer(plugins, tiny):
    assert refused(plugins, tiny, {"generator.hidden": [8, 8], "generator.activation": ["elu"]}) == (
        "generator: 'activation' names 1 activations for 2 hidden layers; give one name, or one per hidden layer"
    )


# -- 3. presets --------------------------------------------------------------------------------------
@pytest.mark.parametrize("preset", ["", "nope", " default"])
def test_an_unknown_or_empty_preset_lists_the_presets(plugins, preset):
    with pytest.raises(UnknownNameError) as caught:
        Experiment.from_setup("toy", preset, plugins=plugins)
    assert str(caught.value).startswith(f"unknown preset of setup 'toy' {preset!r}; ")
    assert str(caught.value).endswith("available: default, tutorial, tutorial-moments")


@pytest.mark.parametrize("preset", [3, ["default"], {"a": 1}, True])
def test_a_preset_is_named_by_a_string(plugins, preset):
    with pytest.raises(ConfigError, match=r"^'preset' must be a string, the name of a preset, got "):
        Experiment.from_dict({"setup": "toy", "preset": preset}, plugins=plugins)
    with pytest.raises(
        ConfigError,
        match=r"^a preset of setup 'toy' is named by a string, got .*; "
        r"available: default, tutorial, tutorial-moments$",
    ):
        plugins.registry.setup("toy").preset(preset)


def test_cli_refuses_an_empty_preset(cli, assert_usage_error, tmp_path):
    line = assert_usage_error(
        cli("train", "toy", "--preset", "", "--steps", "1", "--out", tmp_path / "r", "--quiet", "--device", "cpu")
    )
    assert line.endswith("available: default, tutorial, tutorial-moments")


# -- 4. setup and preset as overrides ------------------------------------------------------------------
def test_a_preset_override_chooses_the_preset(plugins):
    experiment = Experiment.from_dict({"setup": "toy"}, overrides={"preset": "tutorial"}, plugins=plugins)
    assert experiment.config.preset == "tutorial"
    assert experiment.config.discriminator.config.hidden == (50, 50)  # the tutorial's, not the default's
    experiment = Experiment.from_setup("toy", overrides={"preset": "tutorial-moments"}, plugins=plugins)
    assert (experiment.config.preset, experiment.config.strategy.config.d_steps) == ("tutorial-moments", 20)


def test_a_setup_override_chooses_the_setup(plugins):
    experiment = Experiment.from_dict({"setup": "toy"}, overrides={"setup": "toy2d", "train.steps": 2}, plugins=plugins)
    assert (experiment.config.setup, experiment.config.preset, experiment.config.data.name) == (
        "toy2d",
        "default",
        "toy-2d",
    )
    experiment = Experiment.from_dict({}, overrides={"setup": "toy", "preset": "tutorial"}, plugins=plugins)
    assert (experiment.config.setup, experiment.config.preset) == ("toy", "tutorial")


def test_a_preset_needs_a_setup(plugins, tiny):
    assert refused(plugins, tiny, {"preset": "tutorial"}) == (
        "preset 'tutorial' needs a setup: name one with setup = NAME (see 'ganframe list setups')"
    )


@pytest.mark.parametrize(
    ("key", "value", "start"),
    [
        ("setup", "nope", "unknown setup 'nope'; "),
        ("preset", "nope", "unknown preset of setup 'toy' 'nope'; "),
        ("setup", "3", "'setup' must be a string, the name of a setup, got 3"),
        ("setup", "", "cannot read '' as a value"),
        ("preset", "[1]", "'preset' must be a string, the name of a preset, got [1]"),
    ],
)
def test_cli_unknown_setup_or_preset_override_is_one_line(cli, assert_usage_error, tmp_path, key, value, start):
    out = tmp_path / "run"
    line = assert_usage_error(
        cli("train", "toy", "--steps", "1", "--out", out, "--quiet", "--device", "cpu", "--set", f"{key}={value}")
    )
    assert line.startswith(f"ganframe: error: {start}")
    assert not out.exists()


def test_cli_preset_override_is_what_the_run_records_and_uses(cli, tmp_path):
    out = tmp_path / "run"
    result = cli(
        "train",
        "toy",
        "--steps",
        "1",
        "--out",
        out,
        "--quiet",
        "--device",
        "cpu",
        "--set",
        "preset=tutorial-moments",
        "--set",
        "evaluation.samples=200",
        "--set",
        "logging.plots=false",
        "--set",
        "logging.report=false",
    )
    assert result.code == 0, result.err
    config = tomllib.loads((out / "config.toml").read_text())
    assert (config["setup"], config["preset"]) == ("toy", "tutorial-moments")
    assert config["strategy"]["d_steps"] == 20 and config["discriminator"]["hidden"] == [10, 10]
    report = json.loads((out / "report.json").read_text())
    assert "nope" not in json.dumps(report)
    assert json.dumps(report).count("tutorial-moments") >= 1


# -- 5. every spelling of naming a component means the same ----------------------------------------------
SPELLED = {
    "noise": "noise",
    "loss": "losses",
    "strategy": "strategies",
    "generator": "generators",
    "discriminator": "discriminators",
    "generator.optimizer": "optimizers",
    "discriminator.optimizer": "optimizers",
    "data": "data-sources",
}


def _nested(key: str, value):
    for part in reversed(key.split(".")):
        value = {part: value}
    return value


def _resolved(registry, setup: str, preset: str, file_raw: dict, overrides: dict):
    base = registry.setup(setup).preset(preset)
    base["setup"], base["preset"] = setup, preset
    try:
        raw = apply_overrides(merge_configs(base, {"setup": setup, "preset": preset, **file_raw}), overrides)
        return resolve_config(raw, registry).to_dict()
    except GanframeError as exc:
        return f"error: {exc}"


@pytest.mark.parametrize("setup", ["toy", "toy2d"])
def test_every_spelling_of_naming_a_component_resolves_the_same(plugins, setup):
    check_every_spelling(plugins.registry, setup)


def check_every_spelling(registry, setup: str) -> None:
    """Each component of each kind, named in each way, in each preset of ``setup``: the same config."""
    for preset in registry.setup(setup).presets:
        for section, kind in SPELLED.items():
            for name in registry.names(kind):
                spellings = {
                    "--set SECTION=NAME": ({}, {section: name}),
                    "--set SECTION.name=NAME": ({}, {f"{section}.name": name}),
                    "--set SECTION={name=NAME}": ({}, {section: {"name": name}}),
                    "file: SECTION = NAME": (_nested(section, name), {}),
                    "file: [SECTION] name = NAME": (_nested(section, {"name": name}), {}),
                }
                results = {how: _resolved(registry, setup, preset, *args) for how, args in spellings.items()}
                first = results["--set SECTION.name=NAME"]
                for how, result in results.items():
                    assert result == first, (setup, preset, section, name, how)


def test_options_set_with_a_new_name_apply_whatever_their_order():
    raw = {"discriminator": {"name": "mlp", "optimizer": {"name": "adam", "betas": [0.5, 0.9], "lr": 0.5}}}
    for overrides in (
        {"discriminator.optimizer": "sgd", "discriminator.optimizer.lr": 0.1},
        {"discriminator.optimizer.lr": 0.1, "discriminator.optimizer": "sgd"},
        {"discriminator.optimizer.lr": 0.1, "discriminator.optimizer": {"name": "sgd"}},
        {"discriminator.optimizer.lr": 0.1, "discriminator.optimizer.name": "sgd"},
    ):
        out = apply_overrides(raw, overrides)
        assert out["discriminator"]["optimizer"] == {"name": "sgd", "lr": 0.1}, overrides
    # naming the component a table already names keeps its options, however it is spelled
    for overrides in (
        {"discriminator.optimizer": "adam"},
        {"discriminator.optimizer.name": "adam"},
        {"discriminator": "mlp"},
        {"discriminator": {"name": "mlp"}},
    ):
        assert apply_overrides(raw, overrides) == raw, overrides
    # a section left without a name names its default component
    assert apply_overrides({"noise": {"dim": 3}}, {"noise": "normal"}) == {"noise": {"dim": 3, "name": "normal"}}
    assert apply_overrides({"noise": {"dim": 3}}, {"noise.name": "uniform"}) == {"noise": {"name": "uniform"}}


def test_cli_renames_an_optimizer_either_way_with_the_same_result(cli, tiny_cli, tmp_path):
    configs = []
    for index, item in enumerate(["discriminator.optimizer.name=sgd", "discriminator.optimizer=sgd"]):
        out = tmp_path / f"run{index}"
        result = cli(
            "train",
            "toy",
            "--steps",
            "2",
            "--out",
            out,
            *tiny_cli,
            "--set",
            item,
            "--set",
            "logging.plots=false",
            "--set",
            "logging.report=false",
        )
        assert result.code == 0, result.err
        configs.append(tomllib.loads((out / "config.toml").read_text()))
    assert configs[0] == configs[1]
    assert configs[0]["discriminator"]["optimizer"]["name"] == "sgd"
    assert "betas" not in configs[0]["discriminator"]["optimizer"]


# -- 6. config files and --set values ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "a = " + "[" * 5000 + "]" * 5000,
        "x = " + "{a=" * 3000 + "1" + "}" * 3000,
        "x = " + "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1),
        "[" + ".".join(["a"] * (MAX_NESTING + 1)) + "]\nb = 1\n",
    ],
)
def test_a_config_nested_too_deeply_is_refused(tmp_path, text):
    path = tmp_path / "deep.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"^config file '.*deep.toml' is nested too deeply: at most 64 levels"):
        read_toml(path)


def test_a_config_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin.toml"
    path.write_bytes(b"\xff\xfe[train]\nsteps = 3\n")
    with pytest.raises(ConfigError, match=r"^config file '.*latin.toml' is not UTF-8 text \(byte 0xff at offset 0\)$"):
        read_toml(path)


def test_a_byte_order_mark_is_allowed(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbfsetup = 'toy'\n")
    assert read_toml(path) == {"setup": "toy"}


def test_a_huge_config_file_is_refused(tmp_path):
    path = tmp_path / "huge.toml"
    with path.open("wb") as handle:
        handle.truncate(MAX_CONFIG_BYTES + 1)  # sparse: quick to make
    with pytest.raises(
        ConfigError,
        match=rf"^config file '.*huge.toml' is too large: a config file may have at "
        rf"most {MAX_CONFIG_BYTES} bytes$",
    ):
        read_toml(path)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_a_device_is_not_a_config_file_but_dev_null_is_an_empty_one():
    started = time.perf_counter()
    with pytest.raises(ConfigError, match=r"^config file '/dev/zero' is not a regular file or a pipe$"):
        read_toml("/dev/zero")
    assert time.perf_counter() - started < 5
    assert read_toml(os.devnull) == {}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_named_pipe_without_a_writer_does_not_block(tmp_path):
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    started = time.perf_counter()
    assert read_toml(fifo) == {}  # nobody writes: an empty config, at once
    assert time.perf_counter() - started < 5


@pytest.mark.skipif(not os.path.isdir("/dev/fd"), reason="no /dev/fd")
def test_a_pipe_is_read_as_a_config_file():
    """``ganframe train --config <(...)``: the shell hands over /dev/fd/N, the end of a pipe."""
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, b'setup = "toy"\n[train]\nsteps = 2\n')
        os.close(write_end)
        assert read_toml(f"/dev/fd/{read_end}") == {"setup": "toy", "train": {"steps": 2}}
    finally:
        os.close(read_end)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX devices")
def test_cli_config_errors_are_one_line(cli, assert_usage_error, tmp_path):
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 5000 + "]" * 5000)
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"\xff\xfe")
    for path, tail in (
        (deep, "is nested too deeply: at most 64 levels of tables and lists"),
        (latin, "is not UTF-8 text (byte 0xff at offset 0)"),
        ("/dev/zero", "is not a regular file or a pipe"),
        (tmp_path, "is a directory"),
    ):
        line = assert_usage_error(cli("train", "--config", path, "--steps", "1", "--quiet", "--out", tmp_path / "r"))
        assert line == f"ganframe: error: config file {str(path)!r} {tail}"


def test_a_set_value_nested_too_deeply_is_refused():
    with pytest.raises(ConfigError, match=r"^cannot read '\[\[\[.*\.\.\.' as a value: it is nested too deeply"):
        parse_override("x=" + "[" * 5000 + "]" * 5000)
    with pytest.raises(ConfigError, match=r"^the value '\[\[\[.*' is nested too deeply: at most 64 levels"):
        parse_value("[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1))
    assert parse_value("[[[1]]]") == [[[1]]]


def test_a_set_value_is_one_value():
    with pytest.raises(
        ConfigError,
        match=r"^cannot read '3\\n\[train\]\\nsteps = 5' as a value: it holds more "
        r"than one; give one value per --set$",
    ):
        parse_value("3\n[train]\nsteps = 5")
    assert parse_value("[1,\n2]") == [1, 2]


def test_a_config_dict_nested_too_deeply_or_in_itself_is_refused(plugins, tiny):
    deep: dict = {}
    node = deep
    for _ in range(5000):
        node["a"] = {}
        node = node["a"]
    assert refused(plugins, {**tiny, "data": {**tiny["data"], "x": deep}}) == (
        "the config is nested too deeply: at most 64 levels of tables and lists"
    )
    loop: dict = {}
    loop["loop"] = loop
    assert (
        refused(plugins, {**tiny, "train": loop})
        == "the config is nested too deeply: at most 64 levels of tables and lists"
    )
    assert refused(plugins, {"setup": "toy"}, {"data.x": deep}) == (
        "the value of data.x is nested too deeply: at most 64 levels of tables and lists"
    )


# -- 7. wrong types anywhere ----------------------------------------------------------------------------
WRONG_TYPES = [
    ('[train]\nsteps = "ten"', "train: steps: expected int, got 'ten'"),
    ("generator = 3", "[generator] must be a table, got 3"),
    ("networks = 5", "[networks] must be a table of roles such as [networks.encoder], got 5"),
    ("networks = { encoder = 5 }", "[networks.encoder] must be a table, got 5"),
    ('[evaluation]\nmetrics = "x"', "evaluation: metrics: expected a list, got 'x'"),
    ("[evaluation]\nmetrics = [1]", "evaluation: metrics: expected str, got 1"),
    ('[data]\nname = ["a"]', "data.name must be a string, got ['a']"),
    ("data = []", "[data] must be a table, got []"),
    ('train = "fast"', "[train] must be a table, got 'fast'"),
    ("logging = [1]", "[logging] must be a table, got [1]"),
    ("[generator]\noptimizer = 3", "[generator.optimizer] must be a table, got 3"),
    ("[discriminator]\nextras = 3", 'discriminator.extras must be a list of extras such as ["spectral-norm"], got 3'),
    ("[discriminator]\nextras = [3]", "[discriminator.extras[0]] must be a table, got 3"),
    ("[generator]\nhidden = [[8]]", "generator: hidden: expected int, got [8]"),
    ('[generator]\nhidden = "8"', "generator: hidden: expected a list, got '8'"),
    ("[generator]\nactivation = [1]", "generator: activation: expected a string or a list of strings, got [1]"),
    ("[generator.optimizer]\nbetas = 0.5", "generator.optimizer: betas: expected a list, got 0.5"),
    ("[generator.optimizer]\nlr = true", "generator.optimizer: lr: expected int or float, got True"),
    ("seed = 1.5", "'seed' must be a non-negative integer, got 1.5"),
    ("device = 3", "'device' must be a string, got 3"),
    ('conditional = "yes"', "'conditional' must be true or false, got 'yes'"),
    ("setup = 3", "'setup' must be a string, the name of a setup, got 3"),
    ("setup = { name = 'toy' }", "'setup' must be a string, the name of a setup, got {'name': 'toy'}"),
    ("preset = [1]", "'preset' must be a string, the name of a preset, got [1]"),
    ("[train]\nthreads = 1e3", "train: threads: expected int, got 1000.0"),
]


@pytest.mark.parametrize(("toml", "message"), WRONG_TYPES)
def test_wrong_types_in_a_config_file_are_one_line(plugins, toml, message):
    document = tomllib.loads(toml)
    raw = {"setup": "toy", **document} if "setup" not in document else document
    assert refused(plugins, raw) == message


def test_cli_wrong_types_in_a_config_file_are_exit_2(cli, assert_usage_error, tmp_path):
    for index, (toml, message) in enumerate(WRONG_TYPES):
        path = tmp_path / f"config{index}.toml"
        path.write_text(toml if toml.startswith("setup") else f'setup = "toy"\n{toml}')
        # no --steps or --device: they would override the wrong value
        line = assert_usage_error(cli("train", "--config", path, "--quiet", "--out", tmp_path / "run"))
        assert line == f"ganframe: error: {message}", toml
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("raw", "overrides", "message"),
    [
        (3, None, "a config must be a table of sections, got int"),
        ({"setup": "toy"}, ["train.steps"], "overrides must be a dict of dotted keys, got list"),
        (
            {"setup": "toy"},
            {"train..steps": 3},
            "an override's key is a dotted name such as train.steps, got 'train..steps'",
        ),
        ({"setup": "toy"}, {3: 3}, "an override's key is a dotted name such as train.steps, got 3"),
        (
            {"setup": "toy"},
            {"train.steps.x": 3},
            "cannot set train.steps.x: train.steps is a value (5000), not a section",
        ),
    ],
)
def test_wrong_types_through_the_python_api_are_config_errors(plugins, raw, overrides, message):
    assert refused(plugins, raw, overrides) == message


def test_every_component_section_accepts_only_a_name_or_a_table(plugins, tiny):
    for section in COMPONENT_SECTIONS:
        for value in (3, 1.5, True, [1]):
            message = refused(plugins, {**tiny, section: value})
            assert message == f"[{section}] must be a table, got {value!r}"


def test_an_empty_plugin_qualifier_names_no_plugin(plugins, cli, assert_usage_error):
    with pytest.raises(
        UnknownNameError, match=r"^unknown plugin for the strategy 'toy-judged': ''; available: ganframe_toy$"
    ):
        plugins.registry.get("strategies", ":toy-judged")
    assert plugins.registry.get("strategies", "ganframe_toy:toy-judged").name == "toy-judged"
    line = assert_usage_error(cli("show", "strategy", ":toy-judged"))  # the CLI's plugin: the entry point
    assert line == "ganframe: error: unknown plugin for the strategy 'toy-judged': ''; available: toy"
