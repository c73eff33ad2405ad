"""The ``mixtures`` plugin: the ring and grid data follow their configs and their seeds, the
``mixture-modes`` metric gives known answers on real, collapsed, far-off and broken samples, bad
options fail through ganframe, and a short experiment reports the four scores."""

from __future__ import annotations

import importlib.metadata
import math

import ganframe_mixtures
import numpy as np
import pytest
import torch
from ganframe_mixtures import GaussianMixture, grid_means, mixture_modes, ring_means

import ganframe
from ganframe import ConfigError, Experiment
from ganframe.components import MetricContext
from ganframe.testing import SampleRecorder, fresh_plugins

KEYS = {"high_quality", "modes", "reverse_kl", "modes_total"}
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def plugins():
    return fresh_plugins(ganframe_mixtures, entry_points=False)


def ring(**options) -> GaussianMixture:
    config = ganframe_mixtures.RingConfig(**options)
    return GaussianMixture(ring_means(config.modes, config.radius), config.std)


def grid(**options) -> GaussianMixture:
    config = ganframe_mixtures.GridConfig(**options)
    return GaussianMixture(grid_means(config.size, config.spacing), config.std)


def draw(data: GaussianMixture, n: int, seed: int = 0) -> torch.Tensor:
    return data.sample(n, generator=torch.Generator().manual_seed(seed), device=CPU)


def score(data: GaussianMixture, samples: torch.Tensor) -> dict[str, float]:
    context = MetricContext(data=data, generator=torch.Generator().manual_seed(0), device=CPU)
    return mixture_modes(samples, context)


# -- registration -------------------------------------------------------------------------------
def test_registered_through_its_installed_entry_point(plugins):
    (entry_point,) = [ep for ep in importlib.metadata.entry_points(group="ganframe") if ep.name == "mixtures"]
    assert entry_point.value == "ganframe_mixtures"
    assert entry_point.dist.metadata["Name"] == "ganframe-mixtures"
    assert plugins.registry.by_plugin()["ganframe_mixtures"] == [
        ("data-sources", "grid"),
        ("data-sources", "ring"),
        ("generators", "bn-mlp"),
        ("discriminators", "maxout-mlp"),
        ("metrics", "mixture-modes"),
        ("setups", "grid"),
        ("setups", "ring"),
    ]
    (info,) = [info for info in fresh_plugins().infos if info.name == "mixtures"]  # loaded as installed
    assert (info.distribution, info.error) == ("ganframe-mixtures", None)


# -- the data -----------------------------------------------------------------------------------
def test_the_means_are_the_papers_ring_and_grid():
    means = ring().means
    assert means.dtype == torch.float64 and means.shape == (8, 2)
    torch.testing.assert_close(means[0], torch.tensor([2.0, 0.0], dtype=torch.float64))  # the first at angle 0
    torch.testing.assert_close(means.norm(dim=1), torch.full((8,), 2.0, dtype=torch.float64))
    angles = torch.atan2(means[:, 1], means[:, 0]) % (2 * math.pi)
    torch.testing.assert_close(angles, torch.arange(8, dtype=torch.float64) * math.pi / 4)
    assert ring().std == 0.02 and ring(modes=3, radius=1.5, std=0.1).means.shape == (3, 2)

    means = grid().means
    assert means.dtype == torch.float64 and means.shape == (25, 2) and grid().std == 0.05
    expected = {(float(x), float(y)) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}
    assert {tuple(row) for row in means.tolist()} == expected
    assert {tuple(row) for row in grid(size=2, spacing=3.0).means.tolist()} == {
        (-1.5, -1.5),
        (-1.5, 1.5),
        (1.5, -1.5),
        (1.5, 1.5),
    }


@pytest.mark.parametrize(("data", "std"), [(ring(), 0.02), (grid(), 0.05), (ring(modes=3, std=0.1), 0.1)])
def test_samples_share_the_modes_equally_with_the_configured_spread(data, std):
    samples = draw(data, 100_000)
    assert samples.dtype == torch.float32 and samples.shape == (100_000, 2)
    assert isinstance(data, ganframe.Distribution) and data.sample_shape == (2,)
    x = samples.double()
    nearest = torch.cdist(x, data.means).argmin(dim=1)  # (n,): modes are > 10 std apart
    shares = torch.bincount(nearest, minlength=data.modes).double() / len(x)
    k = data.modes
    tolerance = 5 * math.sqrt((1 / k) * (1 - 1 / k) / len(x))  # five binomial standard errors
    torch.testing.assert_close(shares, torch.full((k,), 1 / k, dtype=torch.float64), atol=tolerance, rtol=0)
    offsets = x - data.means[nearest]  # (n, 2)
    for mode in range(k):
        mine = offsets[nearest == mode]
        np.testing.assert_allclose(mine.mean(dim=0), [0.0, 0.0], atol=5 * std / math.sqrt(len(mine)))
        np.testing.assert_allclose(mine.std(dim=0), [std, std], rtol=0.06)
        assert abs(np.corrcoef(mine.T.numpy())[0, 1]) < 0.1  # isotropic: no correlation


def test_the_generator_alone_fixes_the_samples():
    data = grid()
    torch.manual_seed(1)
    first = draw(data, 1000, seed=7)
    torch.manual_seed(2)  # the global random state has no say
    second = draw(data, 1000, seed=7)
    assert torch.equal(first, second)
    assert not torch.equal(first, draw(data, 1000, seed=8))
    generator = torch.Generator().manual_seed(7)
    batches = [data.sample(500, generator=generator, device=CPU) for _ in range(2)]
    assert not torch.equal(batches[0], batches[1])  # fresh samples every batch


# -- the metric on samples with known answers ------------------------------------------------------
@pytest.mark.parametrize(("data", "k"), [(ring(), 8), (grid(), 25)])
def test_real_data_scores_every_mode_and_about_uniform(data, k):
    result = score(data, draw(data, 2500, seed=3))
    assert set(result) == KEYS and all(isinstance(v, float) for v in result.values())
    assert (result["modes"], result["modes_total"]) == (k, k)
    assert 0.97 <= result["high_quality"] <= 1.0  # 1 - exp(-4.5) = 0.989 expected
    assert 0 <= result["reverse_kl"] < 0.01  # about (k - 1) / (2 * 2,472) from sampling alone


def test_high_quality_is_the_chi_distribution_with_two_degrees_of_freedom():
    result = score(ring(), draw(ring(), 200_000, seed=4))
    assert result["high_quality"] == pytest.approx(1 - math.exp(-4.5), abs=0.002)  # 0.9889, not 0.997


def test_a_generator_collapsed_onto_one_mode():
    data = ring()
    samples = torch.tensor([[0.0, 2.0]]) + 0.01 * torch.randn(1000, 2, generator=torch.Generator().manual_seed(0))
    result = score(data, samples)
    assert (result["modes"], result["modes_total"], result["high_quality"]) == (1.0, 8.0, 1.0)
    assert result["reverse_kl"] == pytest.approx(math.log(8))  # p = (1, 0, ..., 0): Σ p log(p·8) = log 8
    result = score(grid(), torch.zeros(100, 2))
    assert (result["modes"], result["reverse_kl"]) == (1.0, pytest.approx(math.log(25)))


def test_two_modes_half_and_half():
    samples = torch.tensor([[2.0, 0.0]] * 50 + [[-2.0, 0.0]] * 50)
    result = score(ring(), samples)
    assert result["modes"] == 2 and result["high_quality"] == 1.0
    assert result["reverse_kl"] == pytest.approx(math.log(4))  # p = 1/2 on two of 8: log(8/2)


def test_points_far_from_every_mode_are_not_high_quality():
    samples = torch.tensor([[0.0, 0.0], [1.0, 1.0], [10.0, -10.0], [2.0, 0.0 + 3 * 0.02 + 1e-4]])
    result = score(ring(), samples)
    assert (result["high_quality"], result["modes"], result["modes_total"]) == (0.0, 0.0, 8.0)
    assert math.isnan(result["reverse_kl"])


def test_the_three_std_boundary_and_the_one_percent_threshold():
    data = ring(std=0.5)  # 3 std = 1.5, and (3.5, 0) is 1.5 from (2, 0): exactly on the boundary
    on_edge = score(data, torch.tensor([[3.5, 0.0], [3.5001, 0.0]]))
    assert on_edge["high_quality"] == 0.5
    # 200 samples: a mode needs 2 high-quality samples (1 %); one mode gets 2, another only 1
    samples = torch.tensor([[2.0, 0.0]] * 2 + [[-2.0, 0.0]] + [[0.0, 0.0]] * 197)
    result = score(ring(), samples)
    assert result["modes"] == 1.0 and result["high_quality"] == pytest.approx(3 / 200)
    p = np.array([2 / 3, 1 / 3])  # the KL counts every high-quality sample, covered mode or not
    assert result["reverse_kl"] == pytest.approx(float((p * np.log(p * 8)).sum()))


def test_non_finite_samples_are_not_high_quality():
    samples = torch.tensor([[2.0, 0.0], [math.nan, 0.0], [2.0, math.inf], [-math.inf, math.nan]])
    result = score(ring(), samples)
    assert (
        result["high_quality"] == 0.25 and result["modes"] == 1 and result["reverse_kl"] == pytest.approx(math.log(8))
    )
    nothing = score(ring(), torch.full((10, 2), math.nan))
    assert nothing["high_quality"] == 0.0 and nothing["modes"] == 0.0 and math.isnan(nothing["reverse_kl"])


class Normal2D(ganframe.Distribution):
    sample_shape = (2,)

    def sample(self, n, *, generator, device):
        return torch.randn(n, 2, generator=generator, device=device)


def test_the_metric_needs_the_ring_or_grid_data(plugins, tmp_path):
    expected = r"^metric 'mixture-modes' needs the 'ring' or 'grid' data source .*, not Normal2D$"
    context = MetricContext(data=Normal2D(), generator=torch.Generator(), device=CPU)
    with pytest.raises(ConfigError, match=expected):
        mixture_modes(torch.zeros(4, 2), context)
    np.save(tmp_path / "x.npy", np.zeros((64, 2), dtype=np.float32))
    with pytest.raises(ConfigError, match=r"^metric 'mixture-modes' needs the 'ring' or 'grid' data source"):
        Experiment.compose(
            data=("file", {"path": str(tmp_path / "x.npy")}),
            metrics=["mixture-modes"],
            device="cpu",
            batch_size=8,
            plugins=plugins,
        )


def test_samples_of_the_wrong_shape_are_refused():
    with pytest.raises(ConfigError, match=r"^metric 'mixture-modes' needs at least one sample of 2 values"):
        score(ring(), torch.zeros(4, 3))
    with pytest.raises(ConfigError, match=r"got samples of shape \(0, 2\)"):
        score(ring(), torch.zeros(0, 2))


# -- options through ganframe ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "ring", "std": 0}, "data: 'std' must be > 0, got 0.0"),
        ({"name": "ring", "modes": 0}, "data: 'modes' must be > 0, got 0"),
        ({"name": "ring", "radius": -1.0}, "data: 'radius' must be > 0, got -1.0"),
        ({"name": "ring", "radius": math.inf}, "data: radius: must be a finite number, got inf"),
        ({"name": "ring", "modes": 2.5}, "data: modes: expected int, got 2.5"),
        ({"name": "grid", "size": 0}, "data: 'size' must be > 0, got 0"),
        ({"name": "grid", "spacing": 0.0}, "data: 'spacing' must be > 0, got 0.0"),
        ({"name": "grid", "std": math.nan}, "data: std: must be a finite number, got nan"),
        ({"name": "grid", "modes": 4}, "unknown option data.modes; available: size, spacing, std"),
    ],
)
def test_bad_options_are_refused(plugins, data, message):
    with pytest.raises(ConfigError) as error:
        Experiment.from_dict({"data": data, "device": "cpu"}, plugins=plugins)
    assert str(error.value) == message


def scores_by_numpy(x: np.ndarray, means: np.ndarray, std: float) -> tuple[float, float, float]:
    """``high_quality``, ``modes`` and ``reverse_kl`` of ``(n, 2)`` samples from the definitions, with numpy only."""
    distances = np.sqrt(((x[:, None, :] - means[None, :, :]) ** 2).sum(axis=2))  # (n, K)
    nearest = distances.argmin(axis=1)  # (n,)
    good = distances.min(axis=1) <= 3 * std  # (n,)
    per_mode = np.bincount(nearest[good], minlength=len(means))  # (K,)
    p = per_mode[per_mode > 0] / good.sum()
    return good.mean(), float(np.sum(per_mode >= 0.01 * len(x))), float(np.sum(p * np.log(p * len(means))))


def test_a_short_experiment_reports_the_four_scores(plugins):
    recorder = SampleRecorder()
    experiment = Experiment.from_dict(
        {
            # A small, wide ring around the untrained generator's outputs: scores neither 0 nor 1.
            "data": {"name": "ring", "radius": 0.8, "std": 0.2},
            "evaluation": {"metrics": ["mixture-modes", "recorded-samples"], "samples": 500},
            "train": {"steps": 5, "batch_size": 64},
            "device": "cpu",
        },
        plugins=fresh_plugins(ganframe_mixtures, recorder, entry_points=False),
    )
    assert isinstance(experiment.data, GaussianMixture) and experiment.data.modes == 8
    report = experiment.fit()
    metrics = report["metrics"]
    assert set(metrics) == KEYS and metrics["modes_total"] == 8.0
    # The scores are those of the 500 samples the metric saw, recomputed from their definitions.
    (samples,) = recorder.seen
    assert samples.shape == (500, 2)
    expected = scores_by_numpy(samples.double().numpy(), experiment.data.means.double().numpy(), experiment.data.std)
    assert (metrics["high_quality"], metrics["modes"], metrics["reverse_kl"]) == pytest.approx(expected, rel=1e-12)
    assert 0 < metrics["high_quality"] < 1 and 0 < metrics["modes"] < 8  # the case is not a trivial one
    grid_experiment = Experiment.from_dict({"data": {"name": "grid", "std": 0.1}, "device": "cpu"}, plugins=plugins)
    assert grid_experiment.data.std == 0.1 and grid_experiment.data.modes == 25
