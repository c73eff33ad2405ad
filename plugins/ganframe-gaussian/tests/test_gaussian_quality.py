"""The acceptance bar of the ``gaussian`` setup: its default preset learns N(4, 1.25) closely."""

from __future__ import annotations

import pytest

from ganframe import Experiment

BAR = 0.05  # 1-Wasserstein distance between 10,000 generated samples and N(4, 1.25)


@pytest.mark.slow
def test_the_default_preset_reaches_the_wasserstein_bar_on_seed_0():
    experiment = Experiment.from_setup("gaussian", seed=0, device="cpu")
    report = experiment.fit()
    assert experiment.step == experiment.config.train.steps  # the preset's full training
    metrics = experiment.evaluate()
    assert metrics == report["metrics"]
    assert metrics["wasserstein"] <= BAR, (
        f"W1 = {metrics['wasserstein']:.4f} > {BAR} (mean {metrics['mean']:.3f}, std {metrics['std']:.3f})"
    )
