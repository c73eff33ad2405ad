"""The acceptance bar of the ``even`` setup: the default preset produces only even numbers, and all of them."""

from __future__ import annotations

import pytest

from ganframe import Experiment


@pytest.mark.slow
def test_the_default_preset_produces_every_even_number_and_nothing_else_on_seed_0():
    experiment = Experiment.from_setup("even", seed=0, device="cpu")
    report = experiment.fit()
    assert experiment.step == experiment.config.train.steps  # the preset's full training
    metrics = experiment.evaluate()  # 10,000 samples
    assert metrics == report["metrics"]
    assert metrics["even_fraction"] == 1.0, metrics
    assert metrics["coverage"] == 64, metrics
    assert metrics["kl_uniform"] < 0.15, metrics
