"""The ``gaussian`` plugin: found through its entry point, its presets train, its metrics are reported."""

from __future__ import annotations

import importlib.metadata

import ganframe_gaussian
import numpy as np
import pytest
import scipy.special
import scipy.stats
import torch

from ganframe import ConfigError, Experiment
from ganframe.components import MetricContext
from ganframe.testing import SampleRecorder, fresh_plugins, smoke_run

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


def independent_metrics(x: np.ndarray, mean: float, std: float) -> dict[str, float]:
    """The moments, the KS statistic and the 1-Wasserstein distance of ``x`` to N(mean, std²), from
    their definitions rather than ganframe's code or scipy.stats' tests."""
    centred = x - x.mean()
    m2, m3, m4 = (np.mean(centred**k) for k in (2, 3, 4))
    x = np.sort(x)
    n = len(x)
    cdf = scipy.special.ndtr((x - mean) / std)
    ks = max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n))
    # W1 = integral of |F_n - Phi| over the line, on a grid fine enough for 1e-5.
    grid = np.linspace(min(x[0], mean - 10 * std), max(x[-1], mean + 10 * std), 400_001)
    gap = np.abs(np.searchsorted(x, grid, side="right") / n - scipy.special.ndtr((grid - mean) / std))
    wasserstein = float(np.sum((gap[1:] + gap[:-1]) / 2 * np.diff(grid)))
    return {
        "mean": float(np.mean(x)),
        "std": float(np.std(x)),
        "skew": float(m3 / m2**1.5),
        "kurtosis": float(m4 / m2**2 - 3),
        "ks": float(ks),
        "wasserstein": wasserstein,
    }


@pytest.mark.parametrize(("preset", "steps"), [("tutorial", 5), ("tutorial-moments", 1), ("default", 5)])
def test_each_preset_trains_a_few_steps_and_reports_every_metric(preset, steps):
    recorder = SampleRecorder()
    plugins = fresh_plugins(recorder)
    experiment = smoke_run("gaussian", preset, steps=steps, plugins=plugins, overrides={"evaluation.samples": 1000})
    assert experiment.step == steps
    metrics = experiment.evaluate(metrics=[*experiment.config.evaluation.metrics, "recorded-samples"])
    assert set(metrics) == METRICS
    assert all(isinstance(value, float) for value in metrics.values())
    # Every metric was computed on the same 1,000 generated samples: the recorder's copy of them.
    (recorded,) = recorder.seen
    samples = recorded.reshape(-1).double().numpy()
    assert samples.shape == (1000,) and metrics["ks_n_generated"] == 1000
    expected = independent_metrics(samples, experiment.data.mean, experiment.data.std)
    for key in ("mean", "std", "skew", "kurtosis", "ks"):
        assert metrics[key] == pytest.approx(expected[key], rel=1e-9, abs=1e-12), key
    # ganframe's Wasserstein distance compares with 100,000 quantiles of the Gaussian: a few 1e-6 off
    # the integral (1,000 quantiles would be 1e-4 off).
    assert metrics["wasserstein"] == pytest.approx(expected["wasserstein"], rel=0, abs=2e-5)


def test_the_independent_metrics_tell_a_shifted_gaussian_apart():
    """The reference values above are right: on a large normal sample they are nearly those of the
    Gaussian, and a shift by d moves the mean and the Wasserstein distance by d."""
    x = np.random.default_rng(0).normal(4.0, 1.25, 200_000)
    near = independent_metrics(x, 4.0, 1.25)
    assert near["std"] == pytest.approx(1.25, rel=0.01) and abs(near["skew"]) < 0.02 and abs(near["kurtosis"]) < 0.05
    assert near["ks"] < 0.005 and near["wasserstein"] < 0.01
    shifted = independent_metrics(x + 0.5, 4.0, 1.25)
    assert shifted["mean"] == pytest.approx(near["mean"] + 0.5) and shifted["std"] == pytest.approx(near["std"])
    assert shifted["wasserstein"] == pytest.approx(0.5, abs=0.01)
    # KS of N(mu + d, s) against N(mu, s): 2 Phi(d / 2s) - 1.
    assert shifted["ks"] == pytest.approx(2 * scipy.special.ndtr(0.25 / 1.25) - 1, abs=0.005)


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
