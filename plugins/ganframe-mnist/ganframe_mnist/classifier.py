"""A small LeNet-style digit classifier: the feature space of the ``mnist-fd`` metric.

Trained deterministically (seeded, one CPU thread) on the training set the first time a metric
needs it, then kept in the cache directory as ``lenet-KEY.pt``, where KEY hashes the training
data's checksum and ``VERSION``. The file is written atomically and carries the statistics of the
test set's features. A cache file that cannot be read, or that belongs to other data, is retrained
and replaced rather than trusted.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ganframe.checkpoint import write_atomically

log = logging.getLogger("ganframe.mnist")

# Bump when the network, its training or the feature statistics change: old cache files then go unused.
VERSION = "lenet-1"
EPOCHS, BATCH, LR, SEED = 2, 128, 1e-3, 0


class LeNet(nn.Module):
    """conv 5x5 (16) → pool → conv 5x5 (32) → pool → 128 features → 10 logits; input (B, 1, 28, 28) in [0, 1]."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 5)
        self.conv2 = nn.Conv2d(16, 32, 5)
        self.fc = nn.Linear(32 * 4 * 4, 128)
        self.out = nn.Linear(128, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1((x - 0.5) / 0.5)), 2)  # (B, 16, 12, 12)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # (B, 32, 4, 4)
        return F.relu(self.fc(x.flatten(1)))  # (B, 128)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.features(x))  # (B, 10)


class Classifier:
    """A trained LeNet with its test accuracy and the mean and covariance of its test-set features."""

    def __init__(self, network: LeNet, accuracy: float, test_mean: torch.Tensor, test_cov: torch.Tensor):
        self.network = network.eval()
        self.accuracy, self.test_mean, self.test_cov = accuracy, test_mean, test_cov

    @torch.no_grad()
    def features_and_classes(self, images: torch.Tensor, chunk: int = 2_000) -> tuple[torch.Tensor, torch.Tensor]:
        """Features (N, 128) in float64 and predicted digits (N,) of images (N, 1, 28, 28) in [0, 1]."""
        features, classes = [], []
        for start in range(0, len(images), chunk):
            f = self.network.features(images[start : start + chunk].float())
            features.append(f.double())
            classes.append(self.network.out(f).argmax(1))
        return torch.cat(features), torch.cat(classes)


def cache_path(data) -> Path:
    key = hashlib.sha256(f"{data.checksum}/{VERSION}".encode()).hexdigest()[:20]
    return data.cache_dir / f"lenet-{key}.pt"


def load_or_train(data) -> Classifier:
    """The classifier for ``data`` (an ``Mnist``): from the cache, else trained now and cached."""
    path = cache_path(data)
    if path.is_file():
        try:
            content = torch.load(path, map_location="cpu", weights_only=True)
            if content["version"] != VERSION or content["data_checksum"] != data.checksum:
                raise ValueError("it was made for other data or another version")
            network = LeNet()
            network.load_state_dict(content["state"])
            return Classifier(network, content["accuracy"], content["test_mean"], content["test_cov"])
        except Exception as exc:
            log.warning("MNIST classifier cache %s is unusable (%s); training it again", path, exc)
    classifier = train(data)
    content = {
        "version": VERSION,
        "data_checksum": data.checksum,
        "state": classifier.network.state_dict(),
        "accuracy": classifier.accuracy,
        "test_mean": classifier.test_mean,
        "test_cov": classifier.test_cov,
    }
    write_atomically(path, lambda handle: torch.save(content, handle))
    return classifier


def train(data) -> Classifier:
    """``EPOCHS`` epochs of Adam on the training set, on one CPU thread so the weights are the same everywhere."""
    log.info("training the MNIST classifier for the metrics (once; cached in %s)", data.cache_dir)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        # Metrics run under no_grad; training needs gradients back.
        with torch.random.fork_rng(devices=[]), torch.enable_grad():
            torch.manual_seed(SEED)
            network = LeNet()
            optimizer = torch.optim.Adam(network.parameters(), lr=LR)
            order_generator = torch.Generator().manual_seed(SEED)
            images = data.images.unsqueeze(1)  # (60000, 1, 28, 28) uint8
            for _ in range(EPOCHS):
                order = torch.randperm(len(images), generator=order_generator)
                for start in range(0, len(order), BATCH):
                    batch = order[start : start + BATCH]
                    loss = F.cross_entropy(network(images[batch].float() / 255), data.labels[batch])
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
        classifier = Classifier(network, 0.0, torch.zeros(0), torch.zeros(0))
        features, classes = classifier.features_and_classes(data.test_images.unsqueeze(1).float() / 255)
    finally:
        torch.set_num_threads(threads)
    classifier.accuracy = float((classes == data.test_labels).double().mean())
    classifier.test_mean, classifier.test_cov = mean_and_covariance(features)
    log.info("MNIST classifier: test accuracy %.4f", classifier.accuracy)
    return classifier


def mean_and_covariance(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (D,) and unbiased covariance (D, D) of features (N, D), in float64."""
    features = features.double()
    return features.mean(0), torch.cov(features.T)


def frechet_distance(mean1: torch.Tensor, cov1: torch.Tensor, mean2: torch.Tensor, cov2: torch.Tensor) -> float:
    """‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½): the Fréchet distance of two Gaussians.

    Square roots through symmetric eigendecompositions (float64), with tiny negative eigenvalues
    from rounding clipped to zero.
    """
    values, vectors = torch.linalg.eigh(cov1)
    root1 = vectors @ torch.diag(values.clamp_min(0).sqrt()) @ vectors.T
    middle = root1 @ cov2 @ root1
    cross = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp_min(0).sqrt().sum()
    return float((mean1 - mean2).pow(2).sum() + cov1.trace() + cov2.trace() - 2 * cross)
