"""Minibatch discrimination: the layer's arithmetic, its fast closeness sums against the cdist formula,
and the mlp discriminator's former option for it (now the network extra of ganframe-extras)."""

from __future__ import annotations

import pytest
import torch

import ganframe.nn
from ganframe import ConfigError
from ganframe.nn import MinibatchDiscrimination, minibatch_closeness


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
    expected = torch.stack(
        [sum(torch.exp(-(m[i] - m[j]).abs().sum(dim=1)) for j in range(6) if j != i) for i in range(6)]
    )  # (N, B)
    assert torch.allclose(layer(x)[:, 3:], expected, atol=1e-6)


def test_the_mlp_discriminators_former_option_is_one_line_that_says_what_to_write(make_experiment):
    with pytest.raises(ConfigError) as caught:
        make_experiment(discriminator__minibatch_kernels=6, discriminator__minibatch_kernel_dims=3)
    assert str(caught.value) == (
        "discriminator.minibatch_kernels is gone: use discriminator.extras = "
        '[{name = "minibatch-discrimination", kernels = 6, kernel_dims = 3, last_layer = "fresh"}]'
    )
    with pytest.raises(ConfigError, match=r"kernels = 2, kernel_dims = 5, last_layer"):
        make_experiment(discriminator__minibatch_kernels=2)


def test_the_former_options_left_off_still_load_as_every_earlier_run_directory_lists_them(make_experiment):
    plain = make_experiment()
    old = make_experiment(discriminator__minibatch_kernels=0, discriminator__minibatch_kernel_dims=5)
    assert old.config.discriminator == plain.config.discriminator
    assert not any(isinstance(layer, MinibatchDiscrimination) for layer in old.discriminator.modules())
    assert "minibatch" not in old.config.to_toml()  # and run directories written now do not list them


def reference_closeness(m: torch.Tensor) -> torch.Tensor:
    """The straightforward formula, as the layer computed it before: ``(N, B, C)`` → ``(N, B)``."""
    per_kernel = m.transpose(0, 1)  # (B, N, C)
    return (torch.exp(-torch.cdist(per_kernel, per_kernel, p=1)).sum(dim=2) - 1.0).t()


def closeness_and_gradient(function, m: torch.Tensor, weights: torch.Tensor):
    m = m.detach().requires_grad_(True)
    out = function(m)
    (grad,) = torch.autograd.grad((out * weights).sum(), m)
    return out.detach(), grad


# (examples, kernels, kernel_dims, block of pairs): blocks of whole kernels, partial blocks, rows of one kernel
SHAPES = [
    (1, 3, 2, None),
    (2, 1, 1, None),
    (7, 4, 3, None),
    (6, 5, 2, 64),
    (20, 3, 4, 64),
    (256, 20, 5, None),
    (300, 50, 5, None),
    (800, 2, 3, None),
]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize(("n", "kernels", "dims", "block"), SHAPES)
def test_the_closeness_matches_the_cdist_formula_with_its_gradient(n, kernels, dims, block, dtype, monkeypatch):
    monkeypatch.setattr(ganframe.nn, "_SMALL_BATCH", 0)  # the blocked kernel at every batch size
    if block is not None:  # small blocks, so that a small batch is cut into several
        monkeypatch.setitem(ganframe.nn._PAIR_BLOCK, "cpu", block)
    generator = torch.Generator().manual_seed(n * 100 + kernels)
    m = torch.randn(n, kernels, dims, generator=generator, dtype=dtype) * 0.5
    m[n // 2] = m[0]  # a tie: two identical examples (abs has gradient 0 there)
    weights = torch.randn(n, kernels, generator=generator, dtype=dtype)
    expected, expected_grad = closeness_and_gradient(reference_closeness, m, weights)
    out, grad = closeness_and_gradient(minibatch_closeness, m, weights)
    tolerance = {"rtol": 1e-10, "atol": 1e-12} if dtype == torch.float64 else {"rtol": 1e-4, "atol": 1e-4}
    assert out.dtype == dtype and out.shape == (n, kernels)
    torch.testing.assert_close(out, expected, **tolerance)
    torch.testing.assert_close(grad, expected_grad, **tolerance)


def test_small_batches_take_the_cdist_formula_itself():
    """Below ``_SMALL_BATCH`` examples cdist is faster: the result is the formula's, bit for bit."""
    for n in (2, ganframe.nn._SMALL_BATCH):
        m = torch.randn(n, 6, 5, generator=torch.Generator().manual_seed(n))
        weights = torch.randn(n, 6, generator=torch.Generator().manual_seed(n + 1))
        expected, expected_grad = closeness_and_gradient(reference_closeness, m, weights)
        out, grad = closeness_and_gradient(minibatch_closeness, m, weights)
        assert torch.equal(out, expected) and torch.equal(grad, expected_grad)
    m = torch.randn(ganframe.nn._SMALL_BATCH + 1, 6, 5, generator=torch.Generator().manual_seed(0))
    assert not torch.equal(
        minibatch_closeness(m), reference_closeness(m)
    )  # the blocked kernel (exp2): last bits differ
    torch.testing.assert_close(minibatch_closeness(m), reference_closeness(m))


@pytest.mark.parametrize("small_batch", [0, 48])
def test_gradients_of_its_gradient_match_the_cdist_formula(small_batch, monkeypatch):
    """R1, WGAN-GP and the exact unrolled GAN differentiate D's input gradient once more."""
    monkeypatch.setattr(ganframe.nn, "_SMALL_BATCH", small_batch)
    m = torch.randn(9, 4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    weights = torch.randn(9, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    results = []
    for function in (reference_closeness, minibatch_closeness):
        x = m.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad((function(x) * weights).sum(), x, create_graph=True)
        (second,) = torch.autograd.grad(grad.square().sum(), x)
        results.append(second)
    torch.testing.assert_close(results[1], results[0], rtol=1e-10, atol=1e-12)


def test_the_layer_trains_under_a_gradient_penalty():
    layer = MinibatchDiscrimination(in_features=3, kernels=4, kernel_dims=2)
    x = torch.randn(8, 3, requires_grad=True)
    (grad,) = torch.autograd.grad(layer(x).sum(), x, create_graph=True)
    grad.square().sum().backward()
    assert layer.weight.grad is not None and torch.isfinite(layer.weight.grad).all()
