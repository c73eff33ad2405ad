"""The ``mnist`` metrics on hand-made inputs, and the classifier's cache."""

from __future__ import annotations

import math
import os

import ganframe_mnist.classifier as classifier_module
import pytest
import torch
from ganframe_mnist import metrics
from ganframe_mnist.classifier import cache_path, frechet_distance, load_or_train
from ganframe_mnist.data import MnistConfig, load_mnist

from ganframe import ConfigError
from ganframe.components import MetricContext


def test_digit_entropy_of_known_class_mixes():
    one = metrics.digit_statistics(torch.full((500,), 7))
    assert one == {"digit_entropy": 0.0, "digits_seen": 1.0, "digit_share_min": 0.0, "digit_share_max": 1.0}
    even = metrics.digit_statistics(torch.arange(1000) % 10)
    assert math.isclose(even["digit_entropy"], math.log2(10)) and even["digits_seen"] == 10
    assert even["digit_share_min"] == even["digit_share_max"] == 0.1
    two = metrics.digit_statistics(torch.tensor([3, 8] * 50))
    assert math.isclose(two["digit_entropy"], 1.0) and two["digits_seen"] == 2
    assert (two["digit_share_min"], two["digit_share_max"]) == (0.0, 0.5)
    rare = metrics.digit_statistics(torch.tensor([0] * 995 + [1] * 5))  # 0.5 %: produced, not counted as seen
    assert rare["digits_seen"] == 1 and 0 < rare["digit_entropy"] < 0.05


def test_frechet_distance_of_known_gaussians():
    mean, cov = torch.zeros(3, dtype=torch.float64), torch.diag(torch.tensor([1.0, 4.0, 9.0], dtype=torch.float64))
    assert abs(frechet_distance(mean, cov, mean, cov)) < 1e-9
    shifted = mean + torch.tensor([1.0, 2.0, 0.0], dtype=torch.float64)
    other = torch.diag(torch.tensor([4.0, 4.0, 1.0], dtype=torch.float64))
    # ‖Δμ‖² = 5; for diagonal covariances the rest is Σ (√a − √b)² = 1 + 0 + 4
    assert math.isclose(frechet_distance(mean, cov, shifted, other), 10.0, rel_tol=1e-9)
    rotation = torch.linalg.qr(torch.randn(3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0)))[0]
    assert math.isclose(
        frechet_distance(mean, rotation @ cov @ rotation.T, shifted, rotation @ other @ rotation.T), 10.0, rel_tol=1e-9
    )  # the same in any basis


@pytest.fixture
def small_data(synthetic_dir, monkeypatch):
    monkeypatch.setattr(classifier_module, "EPOCHS", 6)  # 24 rounds: enough for bars
    return load_mnist(MnistConfig(data_dir=str(synthetic_dir)))


def test_metrics_on_real_looking_and_degenerate_samples(small_data):
    context = MetricContext(data=small_data, generator=torch.Generator(), device=torch.device("cpu"))
    test_like = small_data.test_images.unsqueeze(1).float() / 255  # (200, 1, 28, 28)
    blank = torch.zeros(200, 1, 28, 28)
    good, bad = metrics.fd(test_like, context)["fd"], metrics.fd(blank, context)["fd"]
    assert abs(good) < 1e-6 < bad  # the test set itself scores 0
    assert metrics.digits(test_like, context) == {
        "digit_entropy": pytest.approx(math.log2(10)),
        "digits_seen": 10,
        "digit_share_min": 0.1,
        "digit_share_max": 0.1,
    }
    assert metrics.digits(blank, context)["digit_entropy"] == 0.0


def test_the_classifier_is_cached_deterministic_and_retrained_when_corrupt(small_data, monkeypatch, caplog):
    first = load_or_train(small_data)
    path = cache_path(small_data)
    assert path.is_file() and not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # atomic write
    retrained = classifier_module.train(small_data)  # same data, same seed: the same weights
    for name, tensor in first.network.state_dict().items():
        assert torch.equal(tensor, retrained.network.state_dict()[name]), name

    def no_training(data):
        raise AssertionError("trained although the cache is valid")

    with monkeypatch.context() as patch:
        patch.setattr(classifier_module, "train", no_training)
        assert torch.equal(load_or_train(small_data).test_mean, first.test_mean)
    path.write_bytes(b"not a checkpoint")
    again = load_or_train(small_data)
    assert "unusable" in caplog.text and torch.equal(again.test_mean, first.test_mean)
    assert torch.load(path, weights_only=True)["data_checksum"] == small_data.checksum


def test_metrics_need_mnist_images(small_data):
    context = MetricContext(data=small_data, generator=torch.Generator(), device=torch.device("cpu"))
    with pytest.raises(ConfigError, match=r"\(N, 1, 28, 28\)"):
        metrics.fd(torch.zeros(10, 784), context)
    with pytest.raises(ConfigError, match="'mnist' data source"):
        metrics.digits(
            torch.zeros(10, 1, 28, 28),
            MetricContext(data=object(), generator=torch.Generator(), device=torch.device("cpu")),
        )


def test_the_cache_key_follows_the_data(small_data, tmp_path):
    from mnist_testdata import write_synthetic_mnist

    other = load_mnist(MnistConfig(data_dir=str(write_synthetic_mnist(tmp_path / "other", train=256))))
    assert cache_path(other) != cache_path(small_data)
    assert os.path.dirname(cache_path(other)) == str(small_data.cache_dir)
