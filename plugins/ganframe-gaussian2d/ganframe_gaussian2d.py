"""ganframe setup ``gaussian2d``: learn a 2-D Gaussian X = N(0, I)·A + b from a fixed set of points.

From MXNet "The Straight Dope", chapter "Generative Adversarial Networks" (the GAN introduction),
which calls it "the world's most inefficient estimator of parameters for a Gaussian".

Presets:

* ``tutorial`` — the article's code exactly: 1,000 points with A = [[1, 2], [-0.1, 0.5]],
  b = [1, 2]; a generator that is one linear layer 2 → 2; a discriminator 2 → 5 tanh → 3 tanh → 2
  logits trained with softmax cross-entropy (this plugin's ``softmax-cross-entropy`` loss, label 1
  real, 0 fake); all weights N(0, 0.02), biases zero; Adam with lr 0.01 for G and 0.05 for D, betas
  (0.9, 0.999); batches of 4 for 10 epochs; each round one D step, then one G step on the same fake
  batch (this plugin's ``straight-dope`` strategy), which also logs D's accuracy, per epoch as the
  article prints it.
* ``default`` — ours, on the same 1,000 points and the same linear generator: a smooth (ELU)
  discriminator learning eight times faster than G, the minimax loss, half the data set per batch
  and 2,000 rounds with learning rates falling to zero (under 10 s of training on one CPU core). It reproduces
  its training points' mean to within about 0.5 % and their covariance to within about 2 %. How
  close that is to the truth is then up to the 1,000 points: their own sample mean misses b by
  0.6-8.7 % over seeds 0-4.

Metrics: ``gaussian-error`` (relative errors of the learned mean and covariance, and of the plain
sample estimator on the training points, the baseline a GAN competes with) and ``mean-cov`` (the
generated samples' mean and covariance, entry by entry).
"""

from __future__ import annotations

import math

import attrs
import numpy as np
import scipy.stats
import torch
import torch.nn.functional as F

import ganframe
from ganframe.components import Trainer, discriminator_output
from ganframe.config import MAX_SAMPLES, at_most, non_negative, one_of, positive
from ganframe.data import stream_seed
from ganframe.errors import ConfigError

DATA_SET_STREAM = 200  # the random stream of the training set, derived from the seed


# -- the real data ------------------------------------------------------------------------------
def _finite_matrix(instance: object, attribute: attrs.Attribute, value: tuple[tuple[float, ...], ...]) -> None:
    rows = [list(row) for row in value]
    if not rows or not rows[0]:
        raise ValueError(f"'{attribute.name}' must be a non-empty matrix (a list of rows), got {rows!r}")
    if any(len(row) != len(rows[0]) for row in rows):
        raise ValueError(f"'{attribute.name}' rows must all have the same length, got {rows!r}")
    if not all(math.isfinite(x) for row in rows for x in row):
        raise ValueError(f"'{attribute.name}' must hold finite numbers, got {rows!r}")


def _finite_vector(instance: object, attribute: attrs.Attribute, value: tuple[float, ...]) -> None:
    if not value or not all(math.isfinite(x) for x in value):
        raise ValueError(f"'{attribute.name}' must be a non-empty list of finite numbers, got {list(value)!r}")


@attrs.frozen(kw_only=True)
class AffineGaussianConfig:
    """X = Z·A + b with Z ~ N(0, I): A is k×d (k latent features, d data features), b has d entries."""

    A: tuple[tuple[float, ...], ...] = attrs.field(default=((1.0, 2.0), (-0.1, 0.5)), validator=_finite_matrix)
    b: tuple[float, ...] = attrs.field(default=(1.0, 2.0), validator=_finite_vector)
    size: int = attrs.field(default=1000, validator=[positive, at_most(MAX_SAMPLES)])  # points in the fixed training set
    # The training set is drawn from this seed; None: from the experiment's seed.
    data_seed: int | None = attrs.field(default=None, validator=non_negative)

    def __attrs_post_init__(self) -> None:
        if len(self.b) != len(self.A[0]):
            raise ValueError(f"'b' must have one entry per column of 'A' ({len(self.A[0])}), got {len(self.b)}")


class AffineGaussianPoints(ganframe.Dataset):
    """A fixed training set: ``size`` points of X = Z·A + b, Z ~ N(0, I), drawn once from ``seed``.

    The truth is known: mean ``b`` and covariance AᵀA (each row of Z·A is a sum of A's rows
    weighted by independent standard normals).
    """

    def __init__(self, A: tuple[tuple[float, ...], ...], b: tuple[float, ...], size: int, seed: int) -> None:
        self.A = np.array(A, dtype=np.float64)  # (k, d)
        self.b = np.array(b, dtype=np.float64)  # (d,)
        self.sample_shape = (self.A.shape[1],)
        generator = torch.Generator().manual_seed(stream_seed(seed, DATA_SET_STREAM))
        z = torch.randn(size, self.A.shape[0], generator=generator, dtype=torch.float64)  # (size, k)
        self.points = (z @ torch.from_numpy(self.A) + torch.from_numpy(self.b)).float()  # (size, d)

    def __len__(self) -> int:
        return self.points.shape[0]

    def get(self, indices: torch.Tensor) -> torch.Tensor:
        return self.points[indices]  # (len(indices), d)

    @property
    def mean(self) -> np.ndarray:
        return self.b

    @property
    def covariance(self) -> np.ndarray:
        return self.A.T @ self.A  # (d, d)

    @property
    def reference_distribution(self):
        return scipy.stats.multivariate_normal(self.mean, self.covariance, allow_singular=True)


def make_points(config: AffineGaussianConfig, context) -> AffineGaussianPoints:
    seed = context.seed if config.data_seed is None else config.data_seed
    return AffineGaussianPoints(config.A, config.b, config.size, seed)


# -- metrics ------------------------------------------------------------------------------------
def true_moments(data) -> tuple[np.ndarray, np.ndarray]:
    """The real data's mean ``(d,)`` and covariance ``(d, d)``, from its reference distribution."""
    distribution = data.reference_distribution
    if distribution is None:
        raise ConfigError(
            f"metric 'gaussian-error' needs a data source whose distribution is known; "
            f"{type(data).__name__} has no reference_distribution"
        )
    if callable(getattr(distribution, "mean", None)):  # a univariate scipy.stats distribution
        return np.atleast_1d(distribution.mean()), np.atleast_2d(distribution.var())
    mean, cov = getattr(distribution, "mean", None), getattr(distribution, "cov", None)
    if mean is None or cov is None:
        raise ConfigError(f"metric 'gaussian-error' needs a reference distribution with a mean and a "
                          f"covariance; {type(distribution).__name__} has none")
    return np.atleast_1d(mean), np.atleast_2d(cov)


def sample_moments(points: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """The plain estimator: mean ``(d,)`` and unbiased covariance ``(d, d)`` of ``(n, d)`` points."""
    x = points.reshape(points.shape[0], -1).double().numpy()
    return x.mean(axis=0), np.atleast_2d(np.cov(x, rowvar=False))


def relative_error(estimate: np.ndarray, target: np.ndarray, truth: np.ndarray | None = None) -> float:
    """‖estimate − target‖ / ‖truth‖ (Frobenius for matrices), ``truth`` defaulting to ``target``;
    the absolute distance when ‖truth‖ is 0."""
    scale = np.linalg.norm(target if truth is None else truth)
    error = np.linalg.norm(estimate - target)
    return float(error / scale if scale > 0 else error)


def gaussian_error(samples, context) -> dict[str, float]:
    """How far the generated samples' mean and covariance are from the truth, next to the baseline.

    ``mean_error``/``cov_error``: the generated samples against the true mean and covariance.
    ``estimator_*``: the sample mean and covariance of the real training points (all of a finite
    data set), against the truth: what a GAN has to beat. ``*_gap``: the generated samples against
    the training points' own mean and covariance (scaled by the truth's norm): how closely the GAN
    reproduced the data it saw, whatever that data's own sampling error.
    """
    mean, cov = true_moments(context.data)
    if samples[0].numel() != mean.shape[0]:
        raise ConfigError(f"metric 'gaussian-error': samples have {samples[0].numel()} features, "
                          f"the data {mean.shape[0]}")
    n = len(context.data) if isinstance(context.data, ganframe.Dataset) else len(samples)
    real_mean, real_cov = sample_moments(context.data.reference_samples(n, context.generator))
    fake_mean, fake_cov = sample_moments(samples)
    return {
        "mean_error": relative_error(fake_mean, mean),
        "cov_error": relative_error(fake_cov, cov),
        "estimator_mean_error": relative_error(real_mean, mean),
        "estimator_cov_error": relative_error(real_cov, cov),
        "mean_gap": relative_error(fake_mean, real_mean, mean),
        "cov_gap": relative_error(fake_cov, real_cov, cov),
    }


def mean_cov(samples, context) -> dict[str, float]:
    """The generated samples' mean (``mean_i``) and covariance (``cov_i_j``, i ≤ j), entry by entry."""
    fake_mean, fake_cov = sample_moments(samples)
    values = {f"mean_{i}": float(m) for i, m in enumerate(fake_mean)}
    d = fake_cov.shape[0]
    values.update({f"cov_{i}_{j}": float(fake_cov[i, j]) for i in range(d) for j in range(i, d)})
    return values


# -- the article's loss and training round --------------------------------------------------------
@attrs.frozen(kw_only=True)
class SoftmaxCrossEntropyConfig:
    # How D's real and fake terms combine: "sum" (the article: each term a batch mean, added) or "mean".
    d_terms: str = attrs.field(default="sum", validator=one_of("sum", "mean"))


@attrs.frozen
class SoftmaxCrossEntropyLoss:
    """D outputs two logits per sample (class 1 real, 0 fake); cross-entropy on both classes."""

    d_terms: str

    def _ce(self, discriminator, x, label: int):
        logits = discriminator(x)  # (B, 2)
        if logits.dim() != 2 or logits.shape[1] != 2 or discriminator_output(discriminator) != "logits":
            raise ConfigError("loss 'softmax-cross-entropy' needs a discriminator with two logits per sample "
                              "(for the mlp discriminator: outputs = 2, output = \"logits\")")
        return F.cross_entropy(logits, torch.full((logits.shape[0],), label, device=logits.device))

    def discriminator_loss(self, discriminator, real, fake):
        total = self._ce(discriminator, real, 1) + self._ce(discriminator, fake, 0)
        return total / 2 if self.d_terms == "mean" else total

    def generator_loss(self, discriminator, fake, real=None):
        return self._ce(discriminator, fake, 1)


def says_real(discriminator: torch.nn.Module, scores: torch.Tensor) -> torch.Tensor:
    """``(B,)`` booleans: which examples a discriminator's ``scores`` ``(B, ...)`` call real.

    One score per example: a logit above 0, or a probability above 0.5. Two logits per example
    (the softmax loss's class 1 is real): the real logit is the larger; a tie counts as fake, as
    argmax takes the first class.
    """
    output = discriminator_output(discriminator)
    flat = scores.reshape(scores.shape[0], -1)  # (B, scores per example)
    if flat.shape[1] == 1:
        return flat[:, 0] > (0.5 if output == "probabilities" else 0.0)
    if flat.shape[1] == 2 and output == "logits":
        return flat.argmax(dim=1) == 1
    raise ConfigError(f"strategy 'straight-dope' cannot tell which examples the discriminator calls real from "
                      f"{flat.shape[1]} {output} per example; it needs one score or two logits per example")


@attrs.frozen(kw_only=True)
class StraightDopeConfig:
    # The G step reuses the D step's fake batch (the article), or draws its own.
    reuse_fake: bool = True


@attrs.frozen
class StraightDope:
    """One D update, then one G update (on the same fake batch, as the article does), logging D's
    accuracy on the real and the fake batch as judged just before its update: ``d_accuracy``,
    ``d_accuracy_real``, ``d_accuracy_fake``. The judging runs D in evaluation mode without
    gradients, so training is the same as without it."""

    config: StraightDopeConfig

    def train_round(self, trainer: Trainer) -> dict[str, torch.Tensor]:
        real = trainer.real_batch()  # (B, 2)
        fake = trainer.generate(grad=self.config.reuse_fake)  # G's graph is kept when the G update reuses it
        right_real, right_fake = self.judge(trainer.discriminator, real, fake.detach())
        d_loss = trainer.discriminator_step(real, fake)
        g_loss = trainer.generator_step(fake if self.config.reuse_fake else trainer.generate())
        judged = len(right_real) + len(right_fake)
        return {"d_loss": d_loss, "g_loss": g_loss,
                "d_accuracy": (right_real.sum() + right_fake.sum()) / judged,
                "d_accuracy_real": right_real.float().mean(), "d_accuracy_fake": right_fake.float().mean()}

    @staticmethod
    @torch.no_grad()
    def judge(discriminator: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor):
        """Which real and which fake examples D classifies correctly as it stands."""
        was_training = discriminator.training
        discriminator.eval()
        try:
            return says_real(discriminator, discriminator(real)), ~says_real(discriminator, discriminator(fake))
        finally:
            discriminator.train(was_training)


# -- presets ------------------------------------------------------------------------------------
METRICS = ["gaussian-error", "mean-cov", "two-sample"]
DATA = {"name": "gaussian-2d", "A": [[1.0, 2.0], [-0.1, 0.5]], "b": [1.0, 2.0], "size": 1000}

TUTORIAL = {
    "data": DATA,
    "noise": {"name": "normal", "dim": 2},
    "generator": {
        "name": "mlp", "hidden": [], "init_std": 0.02,  # one Dense(2): a linear map 2 → 2
        "optimizer": {"name": "adam", "lr": 0.01, "betas": [0.9, 0.999]},
    },
    "discriminator": {
        "name": "mlp", "hidden": [5, 3], "activation": "tanh", "outputs": 2, "init_std": 0.02,
        "optimizer": {"name": "adam", "lr": 0.05, "betas": [0.9, 0.999]},
    },
    # Gluon sums each term over the batch and steps with batch_size, i.e. the batch means, added.
    "loss": {"name": "softmax-cross-entropy", "d_terms": "sum"},
    "strategy": {"name": "straight-dope", "reuse_fake": True},
    # 1,000 points / 4 = 250 rounds an epoch; 10 epochs. D's accuracy per epoch, as the article prints.
    "train": {"steps": 2500, "batch_size": 4, "log_every": 50, "epoch_logs": True, "threads": 1},
    "evaluation": {"metrics": METRICS, "samples": 100_000},
}

# Ours, on the same 1,000 points and the same linear generator. Half the data set per batch, so D
# compares two large samples and its verdict is about the distribution rather than a few points.
# D is a smooth (ELU) network learning eight times faster than G (two time-scale updates), Adam
# without momentum, and both learning rates fall linearly to zero, which freezes G at the
# equilibrium instead of leaving it circling it. The minimax loss: the usual non-saturating one is
# mode-seeking and left the spread a few per cent too narrow.
DEFAULT = {
    "data": DATA,
    "noise": {"name": "normal", "dim": 2},
    "generator": {
        "name": "mlp", "hidden": [],
        "optimizer": {"name": "adam", "lr": 0.005, "betas": [0.0, 0.9]},
    },
    "discriminator": {
        "name": "mlp", "hidden": [32, 32], "activation": "elu",
        "optimizer": {"name": "adam", "lr": 0.04, "betas": [0.0, 0.9]},
    },
    "loss": {"name": "minimax"},
    "strategy": {"name": "straight-dope", "reuse_fake": False},
    "train": {"steps": 2000, "batch_size": 500, "lr_decay": "linear", "log_every": 100, "threads": 1},
    "evaluation": {"metrics": METRICS, "samples": 100_000},
}


@ganframe.hookimpl
def register_data_sources(register):
    register("gaussian-2d", make_points, config=AffineGaussianConfig,
             description="a fixed set of points of X = N(0, I)·A + b (default 1,000 in 2-D)")


@ganframe.hookimpl
def register_metrics(register):
    register("gaussian-error", lambda c, ctx: gaussian_error,
             description="relative errors of the mean and covariance, and of the sample estimator on the data")
    register("mean-cov", lambda c, ctx: mean_cov, description="mean and covariance of the samples, entry by entry")


@ganframe.hookimpl
def register_losses(register):
    register("softmax-cross-entropy", lambda c, ctx: SoftmaxCrossEntropyLoss(c.d_terms),
             config=SoftmaxCrossEntropyConfig,
             description="two logits per sample, cross-entropy with label 1 real and 0 fake (MXNet notebook)")


@ganframe.hookimpl
def register_strategies(register):
    register("straight-dope", lambda c, ctx: StraightDope(c), config=StraightDopeConfig,
             description="one D then one G update on the same fake batch, logging D's accuracy (MXNet notebook)")


@ganframe.hookimpl
def register_setups(register):
    register(
        "gaussian2d",
        {"default": DEFAULT, "tutorial": TUTORIAL},
        description="learn N(b, AᵀA) in 2-D from 1,000 points (MXNet 'The Straight Dope', GAN intro)",
    )
