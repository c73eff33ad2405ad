"""On the real MNIST (skipped without a copy): the metric's classifier is good enough to trust, and
the default preset spreads over all ten digits where the tutorial collapses."""

from __future__ import annotations

import pytest

from ganframe import Experiment
from ganframe_mnist.data import MnistConfig, load_mnist
from ganframe_mnist.metrics import classifier_for


@pytest.mark.slow
def test_the_metric_classifier_reaches_98_percent(real_mnist):
    data = load_mnist(MnistConfig(data_dir=real_mnist["data.data_dir"], cache_dir=real_mnist["data.cache_dir"]))
    assert len(data) == 60_000 and len(data.test_images) == 10_000
    assert data.images.float().div(255).mean().item() == pytest.approx(0.1307, abs=1e-4)
    assert classifier_for(data).accuracy >= 0.98  # trained once (about a minute), then cached


@pytest.mark.slow
def test_the_default_preset_covers_every_digit_after_one_epoch(real_mnist):
    """Reduced bar: one epoch of the default preset, seed 0, 2,000 samples (the full bar is 5 epochs)."""
    experiment = Experiment.from_setup("mnist", seed=0, steps=468, device="cpu",
                                       overrides={**real_mnist, "evaluation.samples": 2_000})
    metrics = experiment.fit()["metrics"]
    assert metrics["digits_seen"] == 10, metrics
    # The tutorial preset after FIVE epochs (seed 0): FD 927, 1.0 bit, one blob in a few shades.
    assert metrics["fd"] < 927 / 2 and metrics["digit_entropy"] > 2.5, metrics
