"""The ``gaussian`` plugin: found through its entry point, its presets train, its metrics are reported."""

from __future__ import annotations

import importlib.metadata

import ganframe_gaussian
import pytest
import scipy.stats
import torch

from ganframe import ConfigError, Experiment
from ganframe.components import MetricContext
from ganframe.testing import fresh_plugins, smoke_run

METRICS = {
    "mean",
    "std",
    "skew",
    "kurtosis",
    "wasserstein",
    "ks",
    "energy_distance",
    "energy_p_value",
    "energy_n_generated",
    "energy_n_real",
    "ks_statistic_max",
    "ks_p_value_min",
    "ks_n_generated",
    "ks_n_real",
}


@pytest.fixture(scope="module")
def plugins():
    return fresh_plugins()


def test_registered_through_its_installed_entry_point(plugins):
    (entry_point,) = [ep for ep in importlib.metadata.entry_points(group="ganframe") if ep.name == "gaussian"]
    assert entry_point.value == "ganframe_gaussian"
    (info,) = [info for info in plugins.infos if info.name == "gaussian"]
    assert info.distribution == "ganframe-gaussian"
    assert info.version == importlib.metadata.version("ganframe-gaussian")
    assert info.error is None
    assert plugins.registry.by_plugin()["gaussian"] == [
        ("data-sources", "gaussian-1d"),
        ("discriminators", "batch-mlp"),
        ("setups", "gaussian"),
    ]


def test_the_setup_and_its_presets(plugins):
    setup = plugins.registry.setup("gaussian")
    assert setup.plugin == "gaussian" and setup.default_preset == "default"
    assert sorted(setup.presets) == ["default", "tutorial", "tutorial-moments"]
    for preset in setup.presets:  # every preset is a valid configuration
        experiment = Experiment.from_setup("gaussian", preset, device="cpu", plugins=plugins)
        assert experiment.config.data.name == "gaussian-1d"
        assert set(experiment.config.evaluation.metrics) == {"moments", "wasserstein", "ks", "two-sample"}


def test_the_tutorial_presets_follow_the_article(plugins):
    tutorial = Experiment.from_setup("gaussian", "tutorial", device="cpu", plugins=plugins).config
    assert (tutorial.discriminator.name, tutorial.discriminator.config.features) == ("batch-mlp", "squared-deviations")
    assert (tutorial.train.batch_size, tutorial.train.steps) == (100, 30_000)
    assert tutorial.noise.name == "uniform" and tutorial.generator.config.hidden == (50, 50)
    moments = Experiment.from_setup("gaussian", "tutorial-moments", device="cpu", plugins=plugins).config
    assert (moments.discriminator.name, moments.discriminator.config.features) == ("batch-mlp", "moments")
    assert (moments.strategy.config.d_steps, moments.strategy.config.g_steps) == (20, 20)
    assert moments.generator.optimizer.name == "sgd" and moments.generator.optimizer.config.momentum == 0.9


@pytest.mark.parametrize(("preset", "steps"), [("tutorial", 5), ("tutorial-moments", 1), ("default", 5)])
def test_each_preset_trains_a_few_steps_and_reports_every_metric(plugins, preset, steps):
    experiment = smoke_run("gaussian", preset, steps=steps, plugins=plugins, overrides={"evaluation.samples": 1000})
    assert experiment.step == steps
    metrics = experiment.evaluate()
    assert set(metrics) == METRICS
    assert all(isinstance(value, float) for value in metrics.values())
    assert 0 <= metrics["ks"] <= 1 and metrics["wasserstein"] >= 0


def test_the_batch_features_the_config_accepts_are_the_ones_the_network_has():
    from ganframe_gaussian.networks import BATCH_FEATURES

    assert ganframe_gaussian.BATCH_FEATURE_NAMES == tuple(BATCH_FEATURES)


def test_the_data_source_is_the_configured_gaussian():
    data = ganframe_gaussian.Gaussian1D(mean=4.0, std=1.25)
    assert data.sample_shape == (1,)
    samples = data.sample(20_000, generator=torch.Generator().manual_seed(0), device=torch.device("cpu"))
    assert samples.shape == (20_000, 1)
    assert samples.mean().item() == pytest.approx(4.0, abs=0.05)
    assert samples.std().item() == pytest.approx(1.25, abs=0.05)
    reference = data.reference_distribution
    assert (reference.mean(), reference.std()) == (4.0, 1.25)
    assert isinstance(reference, type(scipy.stats.norm(0, 1)))


def test_the_metrics_score_real_data_as_nearly_perfect(plugins):
    experiment = Experiment.from_setup("gaussian", "default", device="cpu", plugins=plugins)
    real = experiment.data.sample(10_000, generator=torch.Generator().manual_seed(1), device=torch.device("cpu"))
    context = MetricContext(
        data=experiment.data, generator=torch.Generator().manual_seed(2), device=torch.device("cpu")
    )
    scores = {k: v for metric in experiment.metrics.values() for k, v in metric(real, context).items()}
    assert scores["wasserstein"] < 0.05 and scores["ks"] < 0.02
    assert scores["mean"] == pytest.approx(4.0, abs=0.05) and scores["std"] == pytest.approx(1.25, abs=0.05)


def test_the_data_source_validates_its_options(plugins):
    with pytest.raises(ConfigError, match=r"^data: 'std' must be > 0, got -1.0$"):
        Experiment.from_setup("gaussian", overrides={"data.std": -1.0}, plugins=plugins)
    with pytest.raises(ConfigError, match=r"^unknown option data.sigma; available: mean, std$"):
        Experiment.from_setup("gaussian", overrides={"data.sigma": 1.0}, plugins=plugins)


def test_other_means_and_spreads(plugins):
    experiment = Experiment.from_setup(
        "gaussian", "default", device="cpu", plugins=plugins, overrides={"data.mean": -2.0, "data.std": 0.5}
    )
    assert (experiment.data.mean, experiment.data.std) == (-2.0, 0.5)
