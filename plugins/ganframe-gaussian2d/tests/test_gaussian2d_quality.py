"""The acceptance bar of the ``gaussian2d`` setup: mean within 2 % of b, covariance within 5 % of AᵀA.

On 1,000 training points the plain sample estimator itself misses b by 3 % on average (0.6 to
8.7 % over seeds 0-4), so no estimator trained on them can promise the 2 % mean bar for every
seed. The default preset is therefore checked for what it controls, on the full preset: it meets
the covariance bar, and it reproduces the mean and covariance of the points it was given; and, on a
training set large enough to permit the bar (100,000 points), it meets the whole bar.
"""

from __future__ import annotations

import pytest

from ganframe import Experiment

MEAN_BAR, COV_BAR = 0.02, 0.05


def trained(seed: int, **overrides) -> dict[str, float]:
    experiment = Experiment.from_setup("gaussian2d", seed=seed, device="cpu", overrides=overrides)
    report = experiment.fit()
    assert experiment.step == experiment.config.train.steps  # the preset's full training
    return report["metrics"]


@pytest.mark.slow
def test_the_default_preset_learns_its_1000_points_on_seed_0():
    m = trained(0)
    summary = {k: round(v, 4) for k, v in m.items()}
    assert m["cov_error"] <= COV_BAR, summary
    # Seed 0's points have a sample mean 8.7 % away from b: the GAN must land on theirs instead.
    assert m["mean_gap"] <= 0.01 and m["cov_gap"] <= 0.03, summary
    assert m["mean_error"] <= max(MEAN_BAR, m["estimator_mean_error"] + 0.01), summary


@pytest.mark.slow
def test_the_default_preset_meets_the_whole_bar_when_the_data_permits_it():
    m = trained(0, **{"data.size": 100_000})
    assert m["estimator_mean_error"] < MEAN_BAR / 2  # the data permits the bar
    assert m["mean_error"] <= MEAN_BAR and m["cov_error"] <= COV_BAR, {k: round(v, 4) for k, v in m.items()}
