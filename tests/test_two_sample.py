"""The ``two-sample`` metric and ``ganframe evaluate --metric``: p-values that tell the same
distribution from a different one, with the sample sizes used."""

from __future__ import annotations

import json

import pytest
import torch

from ganframe import ConfigError
from ganframe.builtin.two_sample import PERMUTATIONS, energy_statistic, two_sample
from ganframe.components import MetricContext


class Normal2D:
    """Real data: standard normal points in 2-D (reference_samples as a data source gives them)."""

    def reference_samples(self, n, generator):
        return torch.randn(n, 2, generator=generator)


def context(seed: int = 0) -> MetricContext:
    return MetricContext(data=Normal2D(), generator=torch.Generator().manual_seed(seed), device=torch.device("cpu"))


def test_the_energy_distance_of_known_splits():
    points = torch.tensor([[0.0], [1.0]])
    distances = torch.cdist(points, points)
    # X = {0}, Y = {1}: 2·1 − 0 − 0
    assert energy_statistic(distances, torch.tensor([[True, False]])).item() == pytest.approx(2.0)
    same = torch.zeros(4, 1)
    assert energy_statistic(torch.cdist(same, same), torch.tensor([[True, True, False, False]])).item() == 0.0


def test_the_same_distribution_is_not_rejected_and_a_shifted_one_is():
    same = two_sample(torch.randn(2000, 2, generator=torch.Generator().manual_seed(1)), context())
    shifted = two_sample(torch.randn(2000, 2, generator=torch.Generator().manual_seed(1)) + 0.3, context())
    assert same["energy_p_value"] > 0.05 and same["ks_p_value_min"] > 0.01
    assert shifted["energy_p_value"] == pytest.approx(1 / 201) and shifted["ks_p_value_min"] < 1e-6
    assert shifted["energy_distance"] > same["energy_distance"]
    assert (same["energy_n_generated"], same["energy_n_real"], same["ks_n_generated"]) == (1000, 1000, 2000)


def test_values_repeat_with_the_same_generator():
    samples = torch.randn(500, 2, generator=torch.Generator().manual_seed(2))
    assert two_sample(samples, context(5)) == two_sample(samples, context(5))


def test_images_are_refused_with_a_clear_error():
    with pytest.raises(ConfigError, match=r"'two-sample' is for low-dimensional data .* these samples have 784"):
        two_sample(torch.zeros(10, 1, 28, 28), context())


def test_the_cli_evaluates_a_named_metric(cli, tmp_path):
    run = tmp_path / "run"
    assert cli("train", "toy", "--steps", "50", "--device", "cpu", "--quiet", "--out", run).code == 0
    result = cli("evaluate", run, "--metric", "two-sample", "--json")
    values = json.loads(result.out)
    assert result.code == 0 and set(values) == {
        "energy_distance",
        "energy_p_value",
        "energy_n_generated",
        "energy_n_real",
        "ks_statistic_max",
        "ks_p_value_min",
        "ks_n_generated",
        "ks_n_real",
    }
    # A permutation test's p-value: (1 + permutations at least as far apart) / (1 + permutations).
    assert values["energy_p_value"] in {(1 + k) / (1 + PERMUTATIONS) for k in range(PERMUTATIONS + 1)}
    wrong = cli("evaluate", run, "--metric", "two-sampel")
    assert wrong.code == 2 and wrong.err.count("\n") == 1 and "did you mean 'two-sample'?" in wrong.err
