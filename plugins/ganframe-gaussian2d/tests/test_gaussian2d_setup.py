"""The ``gaussian2d`` plugin: found through its entry point, its presets follow the article and train,
its data set is fixed by the seed, its metrics are right on hand-made samples, bad options fail clearly."""

from __future__ import annotations

import importlib.metadata

import ganframe_gaussian2d
import numpy as np
import pytest
import scipy.stats
import torch

import ganframe
from ganframe import ConfigError, Experiment
from ganframe.components import MetricContext
from ganframe.testing import fresh_plugins, smoke_run

A = ((1.0, 2.0), (-0.1, 0.5))
B = (1.0, 2.0)
ERRORS = {"mean_error", "cov_error", "estimator_mean_error", "estimator_cov_error", "mean_gap", "cov_gap"}
VALUES = {"mean_0", "mean_1", "cov_0_0", "cov_0_1", "cov_1_1"}
TWO_SAMPLE = {
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
    (entry_point,) = [ep for ep in importlib.metadata.entry_points(group="ganframe") if ep.name == "gaussian2d"]
    assert entry_point.value == "ganframe_gaussian2d"
    (info,) = [info for info in plugins.infos if info.name == "gaussian2d"]
    assert info.distribution == "ganframe-gaussian2d"
    assert info.version == importlib.metadata.version("ganframe-gaussian2d")
    assert info.error is None
    assert plugins.registry.by_plugin()["gaussian2d"] == [
        ("data-sources", "gaussian-2d"),
        ("losses", "softmax-cross-entropy"),
        ("strategies", "straight-dope"),
        ("metrics", "gaussian-error"),
        ("metrics", "mean-cov"),
        ("setups", "gaussian2d"),
    ]
    setup = plugins.registry.setup("gaussian2d")
    assert setup.default_preset == "default" and sorted(setup.presets) == ["default", "tutorial"]


def test_the_tutorial_preset_is_the_articles_code(plugins):
    experiment = Experiment.from_setup("gaussian2d", "tutorial", device="cpu", plugins=plugins)
    c = experiment.config
    assert (c.data.config.A, c.data.config.b, c.data.config.size) == (A, B, 1000)
    assert (c.noise.name, c.noise.config.dim) == ("normal", 2)
    assert (c.generator.config.hidden, c.generator.config.init_std) == ((), 0.02)
    d = c.discriminator.config
    assert (d.hidden, d.activation, d.outputs, d.output, d.init_std) == ((5, 3), "tanh", 2, "logits", 0.02)
    assert (c.loss.name, c.loss.config.d_terms) == ("softmax-cross-entropy", "sum")
    assert (c.strategy.name, c.strategy.config.reuse_fake) == ("straight-dope", True)
    for network, lr in ((c.generator, 0.01), (c.discriminator, 0.05)):
        assert network.optimizer.name == "adam"
        assert (network.optimizer.config.lr, network.optimizer.config.betas) == (lr, (0.9, 0.999))
    assert (c.train.batch_size, c.train.steps, c.train.lr_decay) == (4, 10 * 1000 // 4, "constant")
    assert c.train.epoch_logs
    # the networks: G one linear map 2 → 2; D 2 → 5 → 3 → 2; weights N(0, 0.02²), biases zero
    linears = [m for m in experiment.generator.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(2, 2)]
    layers = [m for m in experiment.discriminator.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in layers] == [(2, 5), (5, 3), (3, 2)]
    assert all(isinstance(m, torch.nn.Tanh) for m in experiment.discriminator.net if not isinstance(m, torch.nn.Linear))
    weights = torch.cat([m.weight.flatten() for m in linears + layers])
    assert 0.01 < weights.std().item() < 0.03
    assert all(torch.all(m.bias == 0) for m in linears + layers)


def test_the_tutorial_trains_an_epoch_and_reports_ds_accuracy(plugins):
    experiment = smoke_run("gaussian2d", "tutorial", steps=250, plugins=plugins, overrides={"evaluation.samples": 2000})
    (epoch,) = experiment.epoch_log.rows  # 1,000 points in batches of 4: one epoch
    assert (epoch["epoch"], epoch["step"]) == (1, 250)
    assert 0.5 < epoch["d_accuracy"] <= 1  # D learns to tell the fakes apart at first
    assert epoch["d_accuracy"] == pytest.approx((epoch["d_accuracy_real"] + epoch["d_accuracy_fake"]) / 2)
    assert set(experiment.evaluate()) == ERRORS | VALUES | TWO_SAMPLE


def test_the_default_preset_trains_a_few_steps(plugins):
    experiment = smoke_run("gaussian2d", "default", steps=5, plugins=plugins, overrides={"evaluation.samples": 2000})
    metrics = experiment.evaluate()
    assert set(metrics) == ERRORS | VALUES | TWO_SAMPLE and all(np.isfinite(list(metrics.values())))
    assert experiment.config.data == Experiment.from_setup("gaussian2d", "tutorial", plugins=plugins).config.data


# -- the data -----------------------------------------------------------------------------------
def points(seed: int, size: int = 1000, A=A, b=B) -> ganframe_gaussian2d.AffineGaussianPoints:
    return ganframe_gaussian2d.AffineGaussianPoints(A, b, size, seed)


def test_the_training_set_is_fixed_by_the_seed(plugins):
    assert torch.equal(points(0).points, points(0).points)
    assert not torch.equal(points(0).points, points(1).points)
    data = points(0)
    assert isinstance(data, ganframe.Dataset) and len(data) == 1000 and data.sample_shape == (2,)
    assert data.get(torch.tensor([3, 1])).shape == (2, 2)
    experiment = Experiment.from_setup("gaussian2d", seed=7, device="cpu", plugins=plugins)
    assert torch.equal(experiment.data.points, points(7).points)
    pinned = Experiment.from_setup("gaussian2d", seed=7, device="cpu", plugins=plugins, overrides={"data.data_seed": 0})
    assert torch.equal(pinned.data.points, points(0).points)


def test_the_points_follow_n_b_ata():
    data = points(0, size=200_000)
    x = data.points.double().numpy()
    expected_cov = np.array([[1.01, 1.95], [1.95, 4.25]])
    np.testing.assert_allclose(data.covariance, expected_cov)
    np.testing.assert_allclose(x.mean(axis=0), B, atol=0.02)
    np.testing.assert_allclose(np.cov(x, rowvar=False), expected_cov, atol=0.05)
    reference = data.reference_distribution
    np.testing.assert_allclose(reference.mean, B)
    np.testing.assert_allclose(reference.cov, expected_cov)
    wide = points(0, size=10, A=((1.0, 0.0), (0.0, 2.0), (3.0, 0.0)), b=(0.0, 0.0))  # 3 latent features
    assert wide.sample_shape == (2,) and wide.points.shape == (10, 2)
    np.testing.assert_allclose(wide.covariance, [[10.0, 0.0], [0.0, 4.0]])


# -- the metrics on hand-made samples -------------------------------------------------------------
def exact(n: int, mean, cov, seed: int = 0) -> torch.Tensor:
    """``n`` points whose sample mean and (unbiased) covariance are exactly ``mean`` and ``cov``."""
    z = np.random.default_rng(seed).normal(size=(n, len(mean)))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.atleast_2d(np.cov(z, rowvar=False))).T)  # sample covariance I
    return torch.from_numpy(z @ np.linalg.cholesky(cov).T + mean)


def context(data) -> MetricContext:
    return MetricContext(data=data, generator=torch.Generator().manual_seed(0), device=torch.device("cpu"))


def test_the_errors_of_hand_made_samples():
    data = points(0)
    truth_mean, truth_cov = data.mean, data.covariance
    data.points = exact(1000, truth_mean, truth_cov, seed=1).float()  # a perfect training set
    perfect = exact(5000, truth_mean, truth_cov)
    scores = ganframe_gaussian2d.gaussian_error(perfect, context(data))
    assert scores == pytest.approx(dict.fromkeys(ERRORS, 0.0), abs=1e-6)
    shifted = perfect + 0.1 * torch.from_numpy(truth_mean)  # mean off by 10 % of |b|
    assert ganframe_gaussian2d.gaussian_error(shifted, context(data))["mean_error"] == pytest.approx(0.1)
    wider = (perfect - torch.from_numpy(truth_mean)) * np.sqrt(1.2) + torch.from_numpy(truth_mean)
    scores = ganframe_gaussian2d.gaussian_error(wider, context(data))
    assert (scores["cov_error"], scores["cov_gap"], scores["mean_error"]) == pytest.approx((0.2, 0.2, 0.0), abs=1e-6)
    values = ganframe_gaussian2d.mean_cov(wider, context(data))
    assert values == pytest.approx({"mean_0": 1.0, "mean_1": 2.0, "cov_0_0": 1.212, "cov_0_1": 2.34, "cov_1_1": 5.1})


def test_the_estimator_baseline_uses_every_training_point():
    data = points(3)
    x = data.points.double().numpy()
    scores = ganframe_gaussian2d.gaussian_error(exact(5000, data.mean, data.covariance), context(data))
    expected_mean = np.linalg.norm(x.mean(axis=0) - data.mean) / np.linalg.norm(data.mean)
    expected_cov = np.linalg.norm(np.cov(x, rowvar=False) - data.covariance) / np.linalg.norm(data.covariance)
    assert scores["estimator_mean_error"] == pytest.approx(expected_mean, rel=1e-5)
    assert scores["estimator_cov_error"] == pytest.approx(expected_cov, rel=1e-5)
    assert scores["mean_gap"] == pytest.approx(scores["estimator_mean_error"], rel=1e-3)  # perfect samples


class Normal1D(ganframe.Distribution):
    sample_shape = (1,)

    def sample(self, n, *, generator, device):
        return 4.0 + 1.25 * torch.randn(n, 1, generator=generator, device=device)

    @property
    def reference_distribution(self):
        return scipy.stats.norm(4.0, 1.25)


def test_the_error_metric_reads_any_known_gaussian_and_rejects_unknown_data():
    samples = exact(4000, np.array([4.4]), np.array([[1.25**2]]))
    scores = ganframe_gaussian2d.gaussian_error(samples, context(Normal1D()))
    assert scores["mean_error"] == pytest.approx(0.1) and scores["cov_error"] == pytest.approx(0.0, abs=1e-9)

    class Unknown(Normal1D):
        reference_distribution = None

    with pytest.raises(ConfigError, match="needs a data source whose distribution is known"):
        ganframe_gaussian2d.gaussian_error(samples, context(Unknown()))


# -- bad options --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"data.A": [[1, 2], [3]]}, "data: 'A' rows must all have the same length, got [[1.0, 2.0], [3.0]]"),
        ({"data.A": []}, "data: 'A' must be a non-empty matrix (a list of rows), got []"),
        ({"data.b": [1, 2, 3]}, "data: 'b' must have one entry per column of 'A' (2), got 3"),
        ({"data.b": [1.0, float("nan")]}, "data: b: must be a finite number, got nan"),
        ({"data.size": 0}, "data: 'size' must be > 0, got 0"),
        ({"data.data_seed": -1}, "data: 'data_seed' must be >= 0, got -1"),
        ({"data.mean": 1.0}, "unknown option data.mean; available: A, b, size, data_seed"),
    ],
)
def test_bad_data_options_fail_with_clear_errors(plugins, override, message):
    with pytest.raises(ConfigError) as error:
        Experiment.from_setup("gaussian2d", overrides=override, device="cpu", plugins=plugins)
    assert str(error.value) == message


def test_a_data_set_smaller_than_a_batch_is_refused(plugins):
    with pytest.raises(ConfigError, match="the data set has 100 examples, fewer than one batch of 500"):
        Experiment.from_setup("gaussian2d", overrides={"data.size": 100}, device="cpu", plugins=plugins)


# -- the article's loss and training round ---------------------------------------------------------
class Scores(torch.nn.Module):
    """A discriminator returning fixed scores, whatever it is given."""

    def __init__(self, scores: torch.Tensor, output: str = "logits") -> None:
        super().__init__()
        self.scores, self.output = scores, output

    def forward(self, x):
        return self.scores


def test_softmax_cross_entropy_is_the_articles_two_class_loss():
    loss = ganframe_gaussian2d.SoftmaxCrossEntropyLoss("sum")
    real, fake = torch.tensor([[0.0, 2.0], [1.0, 0.0]]), torch.tensor([[3.0, -1.0], [0.0, 0.0]])
    expected = torch.nn.functional.cross_entropy(
        real, torch.ones(2, dtype=torch.long)
    ) + torch.nn.functional.cross_entropy(fake, torch.zeros(2, dtype=torch.long))

    class Pick(torch.nn.Module):
        def forward(self, x):
            return x

    assert loss.discriminator_loss(Pick(), real, fake) == pytest.approx(expected.item())
    halves = ganframe_gaussian2d.SoftmaxCrossEntropyLoss("mean").discriminator_loss(Pick(), real, fake)
    assert halves == pytest.approx(expected.item() / 2)
    assert loss.generator_loss(Pick(), fake) == pytest.approx(
        torch.nn.functional.cross_entropy(fake, torch.ones(2, dtype=torch.long)).item()
    )


@pytest.mark.parametrize("output", ["logits", "probabilities"])
def test_softmax_cross_entropy_needs_two_logits(output):
    loss = ganframe_gaussian2d.SoftmaxCrossEntropyLoss("sum")
    with pytest.raises(ConfigError, match="needs a discriminator with two logits per sample"):
        loss.generator_loss(Scores(torch.zeros(3, 1), output), torch.zeros(3, 2))


def test_says_real_reads_one_score_or_two_logits():
    says_real = ganframe_gaussian2d.says_real
    assert says_real(Scores(None), torch.tensor([[0.5], [-0.1], [0.0]])).tolist() == [True, False, False]
    assert says_real(Scores(None, "probabilities"), torch.tensor([0.7, 0.5, 0.2])).tolist() == [True, False, False]
    two = torch.tensor([[0.0, 1.0], [2.0, -1.0], [0.3, 0.3]])  # class 1 is real; a tie counts as fake
    assert says_real(Scores(None), two).tolist() == [True, False, False]
    with pytest.raises(ConfigError, match="from 3 logits per example; it needs one score or two logits"):
        says_real(Scores(None), torch.zeros(4, 3))


def _on_file_points(plugins, tmp_path, callbacks=(), **strategy):
    path = tmp_path / "points.npy"
    np.save(path, np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32))
    raw = {
        "seed": 0,
        "device": "cpu",
        "data": {"name": "file", "path": str(path)},
        "noise": {"name": "normal", "dim": 2},
        "generator": {"name": "mlp", "hidden": [8]},
        "discriminator": {"name": "mlp", "hidden": [8]},
        "strategy": strategy,
        "train": {"steps": 8, "batch_size": 16, "log_every": 2},
        "evaluation": {"samples": 100},
    }
    return Experiment.from_dict(raw, plugins=plugins, callbacks=callbacks)


def test_the_accuracy_counts_what_d_says_before_its_update(plugins, tmp_path):
    experiment = _on_file_points(plugins, tmp_path, name="straight-dope")
    d = torch.nn.Linear(2, 1)  # calls x real when x[0] > 0
    with torch.no_grad():
        d.weight.copy_(torch.tensor([[1.0, 0.0]]))
        d.bias.zero_()
    real = torch.tensor([[1.0, 0.0], [2.0, 5.0], [-1.0, 0.0], [3.0, 0.0]])  # 3 of 4 called real
    fake = torch.tensor([[-1.0, 0.0], [1.0, 0.0], [2.0, 0.0], [-3.0, 0.0]])  # 2 of 4 called fake
    right_real, right_fake = experiment.strategy.judge(d, real, fake)
    assert right_real.tolist() == [True, True, False, True] and right_fake.tolist() == [True, False, False, True]


def test_judging_leaves_training_as_the_plain_alternating_strategy_trains(plugins, tmp_path):
    logs: list[dict[str, float]] = []
    judged = _on_file_points(plugins, tmp_path, [_LogRecorder(logs)], name="straight-dope", reuse_fake=False)
    plain = _on_file_points(plugins, tmp_path, name="alternating")
    judged.fit()
    plain.fit()
    assert torch.equal(judged.sample(100), plain.sample(100))
    for row in logs:
        assert {"d_accuracy", "d_accuracy_real", "d_accuracy_fake"} <= set(row)
        shares_of_the_batch = {k / 16 for k in range(17)}  # D judged 16 real and 16 fake examples
        assert row["d_accuracy_real"] in shares_of_the_batch and row["d_accuracy_fake"] in shares_of_the_batch
        assert row["d_accuracy"] == pytest.approx((row["d_accuracy_real"] + row["d_accuracy_fake"]) / 2)
    assert len(logs) == 8


class _LogRecorder:
    def __init__(self, rows):
        self.rows = rows

    @ganframe.hookimpl
    def on_step_end(self, logs):
        self.rows.append({name: float(value) for name, value in logs.items()})
