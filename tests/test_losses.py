"""The built-in losses on known scores, computed by hand."""

from __future__ import annotations

import math

import pytest
import torch

from ganframe.components import BuildContext


class Scores(torch.nn.Module):
    """A 'discriminator' whose scores are its input: the losses see exactly the numbers we choose."""

    def __init__(self, output: str = "logits") -> None:
        super().__init__()
        self.output = output

    def forward(self, x):
        return x


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


REAL = [0.0, 2.0]  # logits of D on real samples
FAKE = [-1.0, 3.0]  # logits of D on fake samples


@pytest.fixture
def make_loss(plugins):
    def make(name: str, **options):
        component = plugins.registry.component("losses", name)
        context = BuildContext(seed=0, device=torch.device("cpu"), batch_size=2)
        return component.factory(component.make_config(options, "loss"), context)

    return make


def column(values) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64).unsqueeze(1)


@pytest.mark.parametrize("name", ["non-saturating", "minimax"])
@pytest.mark.parametrize(("d_terms", "scale"), [("sum", 1.0), ("mean", 0.5)])
def test_bce_discriminator_loss_on_logits(make_loss, name, d_terms, scale):
    # -log sigmoid(r) = softplus(-r) on real; -log(1 - sigmoid(f)) = softplus(f) on fake
    expected = scale * (mean(softplus(-r) for r in REAL) + mean(softplus(f) for f in FAKE))
    loss = make_loss(name, d_terms=d_terms).discriminator_loss(Scores(), column(REAL), column(FAKE))
    assert loss.item() == pytest.approx(expected, rel=1e-12)


def test_non_saturating_generator_loss_on_logits(make_loss):
    expected = mean(softplus(-f) for f in FAKE)  # -log D(G(z))
    loss = make_loss("non-saturating").generator_loss(Scores(), column(FAKE), column(REAL))
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.680924, abs=1e-6)


def test_minimax_generator_loss_on_logits(make_loss):
    expected = -mean(softplus(f) for f in FAKE)  # log(1 - D(G(z)))
    loss = make_loss("minimax").generator_loss(Scores(), column(FAKE), None)
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(-1.680924, abs=1e-6)


def test_bce_losses_on_probabilities(make_loss):
    real, fake = [0.9, 0.6], [0.2, 0.5]
    d = Scores("probabilities")
    expected_d = -mean(math.log(p) for p in real) - mean(math.log(1 - p) for p in fake)
    assert make_loss("non-saturating").discriminator_loss(d, column(real), column(fake)).item() == pytest.approx(
        expected_d, rel=1e-12
    )
    assert make_loss("non-saturating").generator_loss(d, column(fake)).item() == pytest.approx(
        -mean(math.log(p) for p in fake), rel=1e-12
    )
    assert make_loss("minimax").generator_loss(d, column(fake)).item() == pytest.approx(
        mean(math.log(1 - p) for p in fake), rel=1e-12
    )


@pytest.mark.parametrize(
    ("loss", "discriminator"),
    [
        ("minimax", {"name": "mlp", "hidden": [8]}),
        ("non-saturating", {"name": "mlp", "hidden": [8], "output": "probabilities"}),
    ],
)
def test_every_loss_trains_with_a_matching_discriminator(make_experiment, loss, discriminator):
    experiment = make_experiment(loss=loss, discriminator=discriminator, train__steps=3)
    experiment.fit()
    assert torch.isfinite(experiment.sample(20)).all()
