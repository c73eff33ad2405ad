"""The ``even`` plugin: found through its entry point, its presets follow the article and train,
its data source encodes even numbers, and ``ganframe sample`` writes them as int64 integers."""

from __future__ import annotations

import importlib.metadata

import ganframe_even
import numpy as np
import pytest
import torch

from ganframe import ConfigError, Experiment
from ganframe.testing import SampleRecorder, fresh_plugins, smoke_run

METRICS = {"even_fraction", "coverage", "kl_uniform"}


@pytest.fixture(scope="module")
def plugins():
    return fresh_plugins()


def test_registered_through_its_installed_entry_point(plugins):
    (entry_point,) = [ep for ep in importlib.metadata.entry_points(group="ganframe") if ep.name == "even"]
    assert entry_point.value == "ganframe_even"
    (info,) = [info for info in plugins.infos if info.name == "even"]
    assert info.distribution == "ganframe-even"
    assert info.version == importlib.metadata.version("ganframe-even")
    assert info.error is None
    assert plugins.registry.by_plugin()["even"] == [
        ("data-sources", "even-numbers"),
        ("strategies", "bertagnolli"),
        ("metrics", "even-coverage"),
        ("metrics", "even-fraction"),
        ("metrics", "even-kl"),
        ("setups", "even"),
    ]


def test_the_setup_and_its_presets(plugins):
    setup = plugins.registry.setup("even")
    assert setup.plugin == "even" and setup.default_preset == "default"
    assert sorted(setup.presets) == ["default", "tutorial"]
    for preset in setup.presets:
        config = Experiment.from_setup("even", preset, device="cpu", plugins=plugins).config
        assert config.data.name == "even-numbers" and config.data.config.max_int == 128
        assert list(config.evaluation.metrics) == ["even-fraction", "even-coverage", "even-kl"]
        assert config.train.threads == 1


def test_the_tutorial_preset_follows_the_article(plugins):
    experiment = Experiment.from_setup("even", "tutorial", device="cpu", plugins=plugins)
    config = experiment.config
    assert (config.noise.name, config.noise.config.dim) == ("bits", 7)
    assert config.generator.config.hidden == () and config.generator.config.output_activation == "sigmoid"
    assert config.discriminator.config.hidden == () and config.discriminator.config.output == "probabilities"
    assert [type(m) for m in experiment.generator.net] == [torch.nn.Linear, torch.nn.Sigmoid]
    assert [type(m) for m in experiment.discriminator.net] == [torch.nn.Linear, torch.nn.Sigmoid]
    assert experiment.generator.net[0].weight.shape == (7, 7)
    assert experiment.discriminator.net[0].weight.shape == (1, 7)
    assert (config.loss.name, config.loss.config.d_terms) == ("non-saturating", "mean")
    assert config.strategy.name == "bertagnolli"
    for network in (config.generator, config.discriminator):
        adam = network.optimizer
        assert adam.name == "adam" and adam.config.lr == 1e-3 and tuple(adam.config.betas) == (0.9, 0.999)
    assert (config.train.batch_size, config.train.steps, config.train.lr_decay) == (16, 500, "constant")


def independent_metrics(x: np.ndarray, max_int: int) -> dict[str, float]:
    """The three metrics of integers ``x`` from their definitions, with numpy rather than the plugin's code."""
    even = x[(x % 2 == 0) & (x >= 0) & (x < max_int)]
    counts = np.bincount(even // 2, minlength=max_int // 2)  # (max_int/2,): how often each even value
    p = counts[counts > 0] / len(even)
    return {
        "even_fraction": len(even) / len(x),
        "coverage": float(np.count_nonzero(counts)),
        "kl_uniform": float(np.sum(p * np.log(p / (2 / max_int)))),
    }


def test_the_independent_metrics_know_the_answers():
    """The reference above gives the hand-worked values: every even value once scores 0 nats."""
    assert independent_metrics(np.arange(0, 8, 2), 8) == {"even_fraction": 1.0, "coverage": 4.0, "kl_uniform": 0.0}
    # 2 of 4 samples valid (odd 3 and 8 >= max_int are not), both on value 0: KL = log 4.
    one_value = independent_metrics(np.array([0, 0, 3, 8]), 8)
    assert one_value == pytest.approx({"even_fraction": 0.5, "coverage": 1.0, "kl_uniform": np.log(4)})


@pytest.mark.parametrize("preset", ["tutorial", "default"])
def test_each_preset_trains_a_few_steps_and_reports_every_metric(preset):
    recorder = SampleRecorder()
    overrides = {"evaluation.samples": 1000}
    experiment = smoke_run("even", preset, steps=5, plugins=fresh_plugins(recorder), overrides=overrides)
    metrics = experiment.evaluate(metrics=[*experiment.config.evaluation.metrics, "recorded-samples"])
    assert set(metrics) == METRICS
    # The metrics scored these 1,000 integers: recompute them from the definitions.
    (recorded,) = recorder.seen
    assert recorded.shape == (1000, 1) and recorded.dtype == torch.int64
    expected = independent_metrics(recorded.reshape(-1).numpy(), experiment.data.max_int)
    assert metrics == pytest.approx(expected, rel=1e-12)
    samples = experiment.sample(100)
    assert samples.dtype == torch.int64 and samples.shape == (100, 1)
    assert ((samples >= 0) & (samples < 128)).all()


def test_the_same_seed_gives_the_same_samples(plugins):
    first, second = (smoke_run("even", steps=20, seed=3, plugins=plugins).sample(500) for _ in range(2))
    assert torch.equal(first, second)


def test_bits_are_most_significant_first_and_read_back_at_one_half():
    data = ganframe_even.EvenNumbers(128)
    assert data.sample_shape == (7,) and data.discrete
    assert data.encode(torch.tensor([56, 0, 126])).tolist() == [
        [0, 1, 1, 1, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0],
        [1, 1, 1, 1, 1, 1, 0],
    ]
    outputs = torch.tensor([[0.1, 0.9, 0.5, 0.51, 0.49, 0.0, 0.2]])  # bits 0 1 1 1 0 0 0
    decoded = data.to_data_space(outputs)
    assert decoded.dtype == torch.int64 and decoded.tolist() == [[56]]


def test_real_data_is_every_even_number_below_max_int_uniformly():
    data = ganframe_even.EvenNumbers(128)
    bits = data.sample(64_000, generator=torch.Generator().manual_seed(0), device=torch.device("cpu"))
    assert bits.shape == (64_000, 7) and bits.dtype == torch.float32
    assert set(bits.unique().tolist()) == {0.0, 1.0}
    values = data.to_data_space(bits).reshape(-1)
    counts = torch.bincount(values, minlength=128)
    assert counts[1::2].sum() == 0  # no odd number
    assert (counts[0::2] > 850).all() and (counts[0::2] < 1150).all()  # 1,000 expected for each


def test_other_powers_of_two(plugins):
    experiment = Experiment.from_setup("even", device="cpu", plugins=plugins, overrides={"data.max_int": 16})
    assert experiment.data.sample_shape == (4,) and experiment.data.values == 8
    real = experiment.data.reference_samples(4000, torch.Generator().manual_seed(0))
    assert set(real.reshape(-1).tolist()) == {0, 2, 4, 6, 8, 10, 12, 14}


@pytest.mark.parametrize("bad", [100, 1, 0, -4])
def test_max_int_must_be_a_power_of_two(plugins, bad):
    expected = rf"^data: 'max_int' must be a power of two \(2, 4, \.\.\., 128, \.\.\.\), got {bad}$"
    with pytest.raises(ConfigError, match=expected):
        Experiment.from_setup("even", plugins=plugins, overrides={"data.max_int": bad})


def test_max_int_must_be_a_small_enough_integer(plugins):
    with pytest.raises(ConfigError, match=r"^data: 'max_int' must be at most 2\*\*62, got 9223372036854775808$"):
        Experiment.from_setup("even", plugins=plugins, overrides={"data.max_int": 2**63})
    with pytest.raises(ConfigError, match=r"^data: max_int: expected int, got True$"):
        Experiment.from_setup("even", plugins=plugins, overrides={"data.max_int": True})


def test_unknown_options_are_named(plugins):
    with pytest.raises(ConfigError, match=r"^unknown option data.max; did you mean 'max_int'\? available: max_int$"):
        Experiment.from_setup("even", plugins=plugins, overrides={"data.max": 64})


def test_the_cli_writes_int64_samples(tmp_path, monkeypatch):
    from ganframe.cli import main

    monkeypatch.chdir(tmp_path)
    assert (
        main(["train", "even", "--preset", "tutorial", "--steps", "3", "--out", "run", "--quiet", "--device", "cpu"])
        == 0
    )
    assert main(["sample", "run", "-n", "50", "-o", "even.npy"]) == 0
    samples = np.load(tmp_path / "even.npy")
    assert samples.dtype == np.int64 and samples.shape == (50, 1)
    assert ((samples >= 0) & (samples < 128)).all()


def test_the_articles_step_updates_g_first_then_d_on_the_same_fakes(plugins):
    experiment = Experiment.from_setup("even", "tutorial", device="cpu", plugins=plugins)
    trainer, events = experiment.trainer, []
    d_step, g_step = trainer.discriminator_step, trainer.generator_step

    def record_d(real, fake):
        events.append(("D", fake))
        return d_step(real, fake)

    def record_g(fake):
        events.append(("G", fake))
        return g_step(fake)

    trainer.discriminator_step, trainer.generator_step = record_d, record_g
    logs = experiment.strategy.train_round(trainer)
    assert [name for name, _ in events] == ["G", "D"] and set(logs) == {"g_loss", "d_loss"}
    assert events[0][1] is events[1][1] and events[0][1].requires_grad  # one fake batch, made with G's graph
    assert trainer.real_draws == 1
