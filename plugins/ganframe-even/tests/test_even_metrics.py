"""The ``even`` plugin's metrics on hand-made samples with known answers."""

from __future__ import annotations

import math

import ganframe_even
import numpy as np
import pytest
import torch
from ganframe_even import EvenNumbers, even_coverage, even_fraction, even_kl

from ganframe import ConfigError, Experiment
from ganframe.components import MetricContext
from ganframe.testing import fresh_plugins

CONTEXT = MetricContext(data=EvenNumbers(128), generator=torch.Generator().manual_seed(0), device=torch.device("cpu"))


def scores(values) -> dict[str, float]:
    samples = torch.tensor(values, dtype=torch.int64).reshape(-1, 1)  # data space: (n, 1)
    return {**even_fraction(samples, CONTEXT), **even_coverage(samples, CONTEXT), **even_kl(samples, CONTEXT)}


def test_a_mix_of_even_and_odd_values():
    result = scores([0, 2, 4, 5])
    assert result["even_fraction"] == 0.75
    assert result["coverage"] == 3
    assert result["kl_uniform"] == pytest.approx(math.log(64 / 3))  # p = 1/3 on three of 64 values


def test_every_even_value_once_is_uniform():
    result = scores(list(range(0, 128, 2)))
    assert (result["even_fraction"], result["coverage"]) == (1.0, 64)
    assert result["kl_uniform"] == pytest.approx(0.0, abs=1e-12)


def test_one_value_over_and_over_is_the_worst_case():
    result = scores([42] * 10)
    assert (result["even_fraction"], result["coverage"]) == (1.0, 1)
    assert result["kl_uniform"] == pytest.approx(math.log(64))


def test_kl_counts_only_the_even_values_and_weights_them():
    result = scores([0, 0, 0, 2, 7, 9])  # even part: 0 three times, 2 once
    p = np.array([0.75, 0.25])
    assert result["kl_uniform"] == pytest.approx(float((p * np.log(p * 64)).sum()))
    assert result["even_fraction"] == pytest.approx(4 / 6)


def test_values_outside_the_range_are_not_valid():
    result = scores([-2, 128, 130, 6])
    assert result["even_fraction"] == 0.25 and result["coverage"] == 1


def test_no_even_sample_leaves_kl_undefined():
    result = scores([1, 3, 3])
    assert (result["even_fraction"], result["coverage"]) == (0.0, 0)
    assert math.isnan(result["kl_uniform"])


def test_real_data_scores_as_uniform():
    real = CONTEXT.data.reference_samples(10_000, torch.Generator().manual_seed(1))
    assert real.dtype == torch.int64 and real.shape == (10_000, 1)
    result = {**even_fraction(real, CONTEXT), **even_coverage(real, CONTEXT), **even_kl(real, CONTEXT)}
    assert (result["even_fraction"], result["coverage"]) == (1.0, 64)
    assert result["kl_uniform"] < 0.006  # about 63 / 20,000 = 0.003 from sampling alone


def test_model_space_samples_are_refused():
    with pytest.raises(ConfigError, match=r"^metric 'even-fraction' needs integer samples with one value each"):
        even_fraction(torch.rand(4, 7), CONTEXT)


def test_the_metrics_need_the_even_numbers_data(tmp_path):
    np.save(tmp_path / "x.npy", np.arange(32, dtype=np.float32))
    expected = r"^metric 'even-kl' needs the 'even-numbers' data source, not TensorDataset$"
    with pytest.raises(ConfigError, match=expected):
        Experiment.compose(
            data=("file", {"path": str(tmp_path / "x.npy")}),
            metrics=["even-kl"],
            device="cpu",
            batch_size=8,
            plugins=fresh_plugins(ganframe_even, entry_points=False),
        )
