"""The losses of the extras plugin: their values on cases worked out by hand, their gradients, the
errors they give for discriminators they cannot use, and that each trains from the CLI."""

from __future__ import annotations

import math

import pytest
import torch
from ganframe_extras.losses import (
    BCE,
    BCEConfig,
    FeatureMatching,
    GradientPenaltyConfig,
    Hinge,
    LeastSquares,
    R1Config,
    Wasserstein,
    WassersteinConfig,
    WassersteinGP,
)
from torch import nn

from ganframe import ConfigError, Experiment
from ganframe.testing import fresh_plugins


class Constant(nn.Module):
    """D giving every example the same logit ``c``: (B, ...) → (B, 1)."""

    output = "logits"

    def __init__(self, c: float) -> None:
        super().__init__()
        self.c = nn.Parameter(torch.tensor(float(c)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c.expand(len(x), 1)


class Linear(nn.Module):
    """D(x) = w·x: its gradient with respect to x is w everywhere, of norm |w|."""

    output = "logits"

    def __init__(self, w: list[float]) -> None:
        super().__init__()
        self.layer = nn.Linear(len(w), 1, bias=False)
        with torch.no_grad():
            self.layer.weight.copy_(torch.tensor([w]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer(x)


REAL, FAKE = torch.randn(8, 2), torch.randn(8, 2)


def test_least_squares_on_constant_scores():
    loss = LeastSquares(R1Config())
    assert loss.discriminator_loss(Constant(0.25), REAL, FAKE).item() == pytest.approx(0.5 * (0.75**2 + 0.25**2))
    assert loss.generator_loss(Constant(0.25), FAKE).item() == pytest.approx(0.5 * 0.75**2)


def test_hinge_is_zero_beyond_the_margin_and_linear_inside():
    loss = Hinge(R1Config())
    d = Linear([1.0, 0.0])
    far_real, far_fake = torch.tensor([[2.0, 0.0]]), torch.tensor([[-2.0, 0.0]])
    assert loss.discriminator_loss(d, far_real, far_fake).item() == 0.0
    assert loss.discriminator_loss(Constant(0.0), REAL, FAKE).item() == pytest.approx(2.0)
    assert loss.generator_loss(Constant(0.5), FAKE).item() == pytest.approx(-0.5)


def test_wasserstein_clips_the_critic_before_every_use():
    d = Linear([0.5, -0.3])
    loss = Wasserstein(WassersteinConfig(clip=0.1))
    value = loss.discriminator_loss(d, REAL, FAKE)
    assert d.layer.weight.abs().max().item() == pytest.approx(0.1)
    w = torch.tensor([0.1, -0.1])
    assert value.item() == pytest.approx(((FAKE @ w).mean() - (REAL @ w).mean()).item(), abs=1e-6)
    with torch.no_grad():
        d.layer.weight.fill_(5.0)  # as if an update had pushed it out
    loss.generator_loss(d, FAKE)
    assert d.layer.weight.abs().max().item() == pytest.approx(0.1)
    unclipped = Linear([0.5, -0.3])
    Wasserstein(WassersteinConfig(clip=0.0)).discriminator_loss(unclipped, REAL, FAKE)
    assert unclipped.layer.weight[0, 0].item() == 0.5


def test_the_gradient_penalty_of_a_known_critic():
    # |∇D| = |(3, 4)| = 5 everywhere: penalty (5 - 1)² = 16, times gp_weight 10.
    d = Linear([3.0, 4.0])
    loss = WassersteinGP(GradientPenaltyConfig(gp_weight=10.0))
    w = torch.tensor([3.0, 4.0])
    critic = (FAKE @ w).mean() - (REAL @ w).mean()
    value = loss.discriminator_loss(d, REAL, FAKE)
    assert value.item() == pytest.approx(critic.item() + 160.0, rel=1e-5)
    value.backward()  # the penalty trains D: d/dw 10 (|w| - 1)² = 20 (|w| - 1) w/|w| = 16 w/5·... nonzero
    penalty_grad = 10 * 2 * (5 - 1) * w / 5
    critic_grad = FAKE.mean(0) - REAL.mean(0)
    assert torch.allclose(d.layer.weight.grad[0], critic_grad + penalty_grad, atol=1e-4)


def test_the_gradient_penalty_draws_one_epsilon_per_example():
    drawn = []

    class Spy(Linear):
        def forward(self, x):
            drawn.append(x.detach().clone())
            return super().forward(x)

    real, fake = torch.zeros(64, 2), torch.ones(64, 2)
    torch.manual_seed(0)
    WassersteinGP(GradientPenaltyConfig()).discriminator_loss(Spy([1.0, 1.0]), real, fake)
    between = drawn[0]  # the penalty comes first: εx + (1 - ε)G(z) = 1 - ε: both coordinates of a row share their ε
    assert torch.equal(between[:, 0], between[:, 1]) and len(set(between[:, 0].tolist())) == 64


def test_r1_penalises_the_gradient_on_real_data_only():
    d = Linear([3.0, 4.0])  # |∇D|² = 25 everywhere
    plain = Hinge(R1Config()).discriminator_loss(d, REAL, FAKE)
    with_r1 = Hinge(R1Config(r1=2.0)).discriminator_loss(d, REAL, FAKE)
    assert (with_r1 - plain).item() == pytest.approx(2.0 / 2 * 25.0)


def test_one_sided_label_smoothing_and_noisy_labels():
    d = Constant(1.5)

    def softplus(z):
        return math.log1p(math.exp(z))  # BCE(logit z, target t) = softplus(z) - t z

    smoothed = BCE(BCEConfig(real_label=0.9)).discriminator_loss(d, REAL, FAKE)
    assert smoothed.item() == pytest.approx((softplus(1.5) - 0.9 * 1.5) + softplus(1.5))
    flipped = BCE(BCEConfig(flip=1.0)).discriminator_loss(d, REAL, FAKE)  # every label swapped
    assert flipped.item() == pytest.approx(softplus(1.5) + (softplus(1.5) - 1.5))
    # G's target stays 1: smoothing is one-sided
    assert BCE(BCEConfig(real_label=0.9)).generator_loss(d, FAKE).item() == pytest.approx(softplus(1.5) - 1.5)
    torch.manual_seed(0)
    some = [BCE(BCEConfig(flip=0.5))._labels(torch.zeros(1000), True).mean().item()]
    assert 0.4 < some[0] < 0.6


def test_feature_matching_compares_the_features_before_the_last_layer():
    d = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    d.output = "logits"
    loss = FeatureMatching(BCEConfig())
    assert loss.generator_loss(d, REAL, REAL).item() == 0.0

    def features(x):
        return torch.relu(d[0](x)).mean(0)

    expected = (features(REAL) - features(FAKE)).square().sum()
    assert loss.generator_loss(d, FAKE, REAL).item() == pytest.approx(expected.item())
    # before D's first step G falls back on the non-saturating loss
    assert loss.generator_loss(d, FAKE, None).item() > 0


@pytest.mark.parametrize("name", ["least-squares", "hinge", "wasserstein", "wasserstein-gp", "feature-matching"])
def test_losses_on_raw_scores_refuse_probabilities(name):
    # The even tutorial's D ends in a Sigmoid.
    experiment = Experiment.from_setup(
        "even", "tutorial", plugins=fresh_plugins(), device="cpu", overrides={"loss.name": name, "train.steps": 1}
    )
    with pytest.raises(ConfigError, match=f"loss '{name}' needs raw scores"):
        experiment.fit()


@pytest.mark.parametrize(
    "loss",
    [
        {"name": "least-squares"},
        {"name": "hinge", "r1": 1.0},
        {"name": "wasserstein"},
        {"name": "wasserstein-gp"},
        {"name": "feature-matching"},
        {"name": "bce", "real_label": 0.9, "flip": 0.05},
    ],
)
def test_every_loss_trains_the_2d_setup_repeatably(loss, tmp_path):
    def run(where):
        experiment = Experiment.from_dict(
            {"setup": "gaussian2d", "loss": loss},
            plugins=fresh_plugins(),
            overrides={"device": "cpu", "train.steps": 30},
        )
        report = experiment.fit(tmp_path / where)
        return report["metrics"], experiment.sample(500)

    (metrics, first), (_, again) = run("a"), run("b")
    assert torch.equal(first, again) and torch.isfinite(first).all()
    assert set(metrics) >= {"mean_error", "cov_error"}
