"""Metrics for generated digits, in the feature space of a small MNIST classifier (offline, no Inception).

* ``mnist-fd`` → ``fd``: the Fréchet distance between the classifier's penultimate-layer features
  (128-D) of the samples and of the 10,000 test digits. Lower is better; the training set itself
  scores about 1.
* ``mnist-digits`` → ``digit_entropy``: the entropy, in bits, of the digit the classifier assigns to
  each sample (log2 10 ≈ 3.32 when all ten are equally common, 0 when every sample is one digit);
  ``digits_seen``: how many digits make up at least 1 % of the samples; ``digit_share_min`` and
  ``digit_share_max``: the shares of the rarest and the commonest digit (0.1 each when all ten are
  equally common; MNIST's test set: 0.089 and 0.114).
"""

from __future__ import annotations

import torch

from ganframe.errors import ConfigError

from .classifier import Classifier, frechet_distance, load_or_train, mean_and_covariance
from .data import Mnist


def classifier_for(data) -> Classifier:
    """The data source's classifier, loaded or trained once per process and shared by the metrics."""
    if not isinstance(data, Mnist):
        raise ConfigError(f"the MNIST metrics need the 'mnist' data source, not {type(data).__name__}")
    if getattr(data, "_classifier", None) is None:
        data._classifier = load_or_train(data)
    return data._classifier


def _check(samples: torch.Tensor) -> None:
    if tuple(samples.shape[1:]) != Mnist.sample_shape:
        raise ConfigError(f"the MNIST metrics need samples of shape (N, 1, 28, 28); got {tuple(samples.shape)}")
    if len(samples) < 2:
        raise ConfigError("the MNIST metrics need at least 2 samples (evaluation.samples)")


def fd(samples: torch.Tensor, context) -> dict[str, float]:
    """Fréchet distance to the test set in the classifier's feature space."""
    _check(samples)
    classifier = classifier_for(context.data)
    features, _ = classifier.features_and_classes(samples)
    mean, cov = mean_and_covariance(features)
    return {"fd": frechet_distance(mean, cov, classifier.test_mean, classifier.test_cov)}


def digits(samples: torch.Tensor, context) -> dict[str, float]:
    """Entropy (bits) of the predicted digits, how many digits hold at least 1 % of the samples, and
    the shares of the rarest and the commonest."""
    _check(samples)
    _, classes = classifier_for(context.data).features_and_classes(samples)
    return digit_statistics(classes)


def digit_statistics(classes: torch.Tensor) -> dict[str, float]:
    """``digit_entropy``, ``digits_seen`` and the rarest and commonest digit's shares
    (``digit_share_min``, ``digit_share_max``) of predicted digits (N,) in 0..9."""
    shares = torch.bincount(classes, minlength=10).double() / len(classes)  # (10,)
    nonzero = shares[shares > 0]
    entropy = float(-(nonzero * nonzero.log2()).sum())
    return {
        "digit_entropy": max(entropy, 0.0) + 0.0,  # never -0.0
        "digits_seen": float((shares >= 0.01).sum()),
        "digit_share_min": float(shares.min()),
        "digit_share_max": float(shares.max()),
    }
