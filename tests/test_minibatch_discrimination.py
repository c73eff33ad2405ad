"""Minibatch discrimination: the layer's arithmetic, and the mlp discriminator's option for it."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganframe import ConfigError
from ganframe.nn import MinibatchDiscrimination


def test_the_layer_appends_one_closeness_sum_per_kernel():
    layer = MinibatchDiscrimination(in_features=3, kernels=4, kernel_dims=2)
    x = torch.randn(5, 3)
    out = layer(x)
    assert out.shape == (5, 3 + 4)
    assert torch.equal(out[:, :3], x)  # the features pass through unchanged


def test_identical_samples_are_close_and_distant_ones_are_not():
    layer = MinibatchDiscrimination(in_features=2, kernels=3, kernel_dims=2)
    with torch.no_grad():
        layer.weight.copy_(torch.ones(2, 6))
    same = layer(torch.zeros(4, 2))[:, 2:]  # every sample has 3 exact copies beside it
    assert torch.allclose(same, torch.full((4, 3), 3.0))
    apart = layer(torch.tensor([[0.0, 0.0], [100.0, 0.0], [0.0, 200.0]]))[:, 2:]
    assert torch.allclose(apart, torch.zeros(3, 3), atol=1e-6)


def test_the_closeness_sum_matches_the_papers_formula():
    torch.manual_seed(0)
    layer = MinibatchDiscrimination(in_features=3, kernels=2, kernel_dims=4, init_std=0.5)
    x = torch.randn(6, 3)
    m = (x @ layer.weight).view(6, 2, 4)  # (N, B, C)
    expected = torch.stack([
        sum(torch.exp(-(m[i] - m[j]).abs().sum(dim=1)) for j in range(6) if j != i) for i in range(6)
    ])  # (N, B)
    assert torch.allclose(layer(x)[:, 3:], expected, atol=1e-6)


def test_the_mlp_discriminator_adds_it_before_its_last_layer(make_experiment):
    experiment = make_experiment(discriminator__minibatch_kernels=6, discriminator__minibatch_kernel_dims=3)
    layers = list(experiment.discriminator.net)
    kinds = [type(layer) for layer in layers]
    assert kinds == [nn.Linear, nn.LeakyReLU, MinibatchDiscrimination, nn.Linear]
    assert layers[2].weight.shape == (8, 6 * 3)
    assert layers[3].in_features == 8 + 6
    experiment.fit()  # trains as any discriminator does
    assert experiment.step == experiment.config.train.steps


def test_it_is_off_by_default_and_works_without_hidden_layers(make_experiment):
    plain = make_experiment()
    assert not any(isinstance(layer, MinibatchDiscrimination) for layer in plain.discriminator.modules())
    bare = make_experiment(discriminator__hidden=[], discriminator__minibatch_kernels=2,
                           discriminator__output="probabilities")
    kinds = [type(layer) for layer in bare.discriminator.net]
    assert kinds == [MinibatchDiscrimination, nn.Linear, nn.Sigmoid]
    assert bare.discriminator(torch.randn(5, 1)).shape == (5, 1)


def test_bad_options_are_named(make_experiment):
    with pytest.raises(ConfigError, match=r"'minibatch_kernels' must be >= 0, got -1"):
        make_experiment(discriminator__minibatch_kernels=-1)
    with pytest.raises(ConfigError, match=r"'minibatch_kernel_dims' must be > 0, got 0"):
        make_experiment(discriminator__minibatch_kernels=4, discriminator__minibatch_kernel_dims=0)
