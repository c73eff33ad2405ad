"""The three ways to build an experiment — setup, compose, dict/TOML — agree with each other."""

from __future__ import annotations

import attrs
import pytest
import tomli_w
import torch

from ganframe import ConfigError, Experiment
from ganframe.builtin.networks import MLPDiscriminatorConfig, MLPGeneratorConfig
from ganframe.builtin.optimizers import AdamConfig, SGDConfig
from ganframe.config import resolve_config

SMALL = {"seed": 3, "steps": 3, "batch_size": 16, "device": "cpu"}


def without_origin(config):
    """A config without the setup and preset it came from (compose knows neither)."""
    return attrs.evolve(config, setup=None, preset=None)


def fitted(experiment: Experiment) -> torch.Tensor:
    experiment.fit()
    assert experiment.step == experiment.config.train.steps
    return experiment.sample(64)


@pytest.fixture(scope="module")
def default_preset(plugins) -> dict:
    """The toy setup's default preset as it is registered now, shrunk to 3 steps on batches of 16."""
    raw = plugins.registry.setup("toy").preset("default")
    raw["seed"], raw["device"] = SMALL["seed"], SMALL["device"]
    raw["train"] = {**raw.get("train", {}), "steps": SMALL["steps"], "batch_size": SMALL["batch_size"]}
    raw.setdefault("evaluation", {})["samples"] = 200
    return raw


@pytest.fixture(scope="module")
def from_setup_samples(plugins):
    experiment = Experiment.from_setup(
        "toy", preset="default", plugins=plugins, overrides={"evaluation.samples": 200}, **SMALL
    )
    return experiment.config, fitted(experiment)


def test_from_setup_applies_the_shortcuts(from_setup_samples):
    config, samples = from_setup_samples
    assert (config.setup, config.preset, config.seed, config.device) == ("toy", "default", 3, "cpu")
    assert (config.train.steps, config.train.batch_size) == (3, 16)
    assert samples.shape == (64, 1) and torch.isfinite(samples).all()


def test_from_setup_without_a_preset_takes_the_default_one(plugins):
    experiment = Experiment.from_setup("toy", plugins=plugins, **SMALL)
    assert experiment.config.preset == "default"


def test_from_dict_with_the_setup_key_matches_from_setup(plugins, from_setup_samples):
    config, samples = from_setup_samples
    raw = {
        "setup": "toy",
        "seed": 3,
        "device": "cpu",
        "train": {"steps": 3, "batch_size": 16},
        "evaluation": {"samples": 200},
    }
    experiment = Experiment.from_dict(raw, plugins=plugins)
    assert experiment.config == config
    assert torch.equal(fitted(experiment), samples)


def test_from_toml_matches_from_setup(plugins, from_setup_samples, tmp_path):
    config, samples = from_setup_samples
    path = tmp_path / "experiment.toml"
    path.write_text(
        'setup = "toy"\npreset = "default"\nseed = 3\ndevice = "cpu"\n\n'
        "[train]\nsteps = 3\nbatch_size = 16\n\n[evaluation]\nsamples = 200\n"
    )
    experiment = Experiment.from_toml(path, plugins=plugins)
    assert experiment.config == config
    assert torch.equal(fitted(experiment), samples)


def test_a_whole_preset_written_out_as_toml_matches_from_setup(plugins, default_preset, from_setup_samples, tmp_path):
    config, samples = from_setup_samples
    path = tmp_path / "written-out.toml"
    path.write_bytes(tomli_w.dumps(default_preset).encode())
    experiment = Experiment.from_toml(path, plugins=plugins)
    assert experiment.config == without_origin(config)
    assert torch.equal(fitted(experiment), samples)


def test_compose_from_names_and_options_matches_from_setup(plugins, default_preset, from_setup_samples):
    config, samples = from_setup_samples
    raw = {k: dict(v) if isinstance(v, dict) else v for k, v in default_preset.items()}
    g_optimizer = raw["generator"].pop("optimizer", None)
    d_optimizer = raw["discriminator"].pop("optimizer", None)
    experiment = Experiment.compose(
        data=raw["data"],
        noise=raw.get("noise"),
        loss=raw.get("loss"),
        strategy=raw.get("strategy"),
        generator=(raw["generator"].pop("name"), raw["generator"]),  # (name, options)
        discriminator=raw["discriminator"],  # {"name": ..., **options}
        generator_optimizer=g_optimizer,
        discriminator_optimizer=d_optimizer,
        metrics=raw["evaluation"]["metrics"],
        seed=3,
        steps=3,
        batch_size=16,
        device="cpu",
        train={k: v for k, v in raw["train"].items() if k not in ("steps", "batch_size")},
        plugins=plugins,
    )
    assert experiment.config == attrs.evolve(
        without_origin(config), evaluation=attrs.evolve(config.evaluation, samples=experiment.config.evaluation.samples)
    )
    assert torch.equal(fitted(experiment), samples)


def test_compose_from_config_objects_matches_from_setup(plugins, default_preset, from_setup_samples):
    _config, samples = from_setup_samples
    resolved = resolve_config(default_preset, plugins.registry)
    experiment = Experiment.compose(
        data=resolved.data.config,
        noise=resolved.noise.config,
        generator=resolved.generator.config,
        discriminator=resolved.discriminator.config,
        generator_optimizer=resolved.generator.optimizer.config,
        discriminator_optimizer=resolved.discriminator.optimizer.config,
        # the BCE losses share one config class: name the loss alongside its config object
        loss=(resolved.loss.name, resolved.loss.config),
        strategy=resolved.strategy.config,
        metrics=resolved.evaluation.metrics,
        seed=3,
        steps=3,
        batch_size=16,
        device="cpu",
        train={"log_every": resolved.train.log_every, "lr_decay": resolved.train.lr_decay},
        plugins=plugins,
    )
    assert experiment.config.generator == resolved.generator
    assert experiment.config.loss == resolved.loss
    assert torch.equal(fitted(experiment), samples)


def test_compose_with_defaults_and_its_own_choices(plugins):
    experiment = Experiment.compose(
        data="toy-1d",
        generator=MLPGeneratorConfig(hidden=(8, 8), activation=("relu", "tanh")),
        discriminator=("mlp", MLPDiscriminatorConfig(hidden=(8,), output="probabilities")),
        loss="minimax",
        generator_optimizer=SGDConfig(lr=0.01, momentum=0.9),
        discriminator_optimizer=AdamConfig(lr=1e-3),
        seed=1,
        steps=2,
        batch_size=16,
        device="cpu",
        plugins=plugins,
    )
    config = experiment.config
    assert config.noise.name == "normal" and config.strategy.name == "alternating"
    assert config.generator.config.activation == ("relu", "tanh")
    assert config.generator.optimizer.name == "sgd" and config.discriminator.optimizer.name == "adam"
    assert config.discriminator.config.output == "probabilities" and config.loss.name == "minimax"
    assert config.evaluation.metrics == ()
    report = experiment.fit()
    assert report["metrics"] == {} and experiment.step == 2


def test_a_config_object_shared_by_several_components_must_be_named(plugins):
    from ganframe.builtin.losses import BCEConfig

    with pytest.raises(ConfigError) as caught:
        Experiment.compose(data="toy-1d", loss=BCEConfig(d_terms="mean"), plugins=plugins)
    assert str(caught.value) == (
        "BCEConfig is the config of more than one loss: minimax, non-saturating; "
        "name the one you mean, e.g. ('minimax', BCEConfig(...))"
    )
    named = Experiment.compose(
        data="toy-1d",
        loss=("non-saturating", BCEConfig(d_terms="mean")),
        device="cpu",
        batch_size=16,
        plugins=plugins,
    )
    assert named.config.loss.name == "non-saturating" and named.config.loss.config.d_terms == "mean"


def test_compose_rejects_what_it_cannot_read(plugins):
    with pytest.raises(
        ConfigError,
        match=r"^generator must be a name, \(name, options\), a dict with 'name', "
        r"or a config object; got 42$",
    ):
        Experiment.compose(data="toy-1d", generator=42, plugins=plugins)


def test_from_dict_with_a_setup_and_another_component_drops_the_presets_options(plugins):
    # The tutorial preset's noise is uniform with dim 1: switching to normal noise starts from its defaults.
    experiment = Experiment.from_dict(
        {"setup": "toy", "preset": "tutorial", "noise": {"name": "normal"}, "device": "cpu"}, plugins=plugins
    )
    assert experiment.config.noise.name == "normal" and experiment.config.noise.config.dim == 16
    kept = Experiment.from_dict(
        {"setup": "toy", "preset": "tutorial", "noise": {"dim": 3}, "device": "cpu"}, plugins=plugins
    )
    assert kept.config.noise.name == "uniform" and kept.config.noise.config.dim == 3


def test_overrides_of_from_dict_and_from_setup_win_over_the_config(plugins):
    experiment = Experiment.from_dict(
        {"setup": "toy", "train": {"steps": 7}}, plugins=plugins, overrides={"train.steps": 2, "device": "cpu"}
    )
    assert experiment.config.train.steps == 2
    experiment = Experiment.from_setup(
        "toy", "tutorial", steps=5, device="cpu", plugins=plugins, overrides={"train.steps": 4}
    )
    assert experiment.config.train.steps == 4
