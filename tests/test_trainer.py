"""The trainer's updates: a G step leaves D alone, a D step leaves G alone."""

from __future__ import annotations

import pytest
import torch

from ganframe.trainer import Trainer


def parameters(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def changed(before: list[torch.Tensor], module: torch.nn.Module) -> list[bool]:
    return [not torch.equal(b, p) for b, p in zip(before, module.parameters())]


def test_a_generator_step_updates_g_and_not_d(make_experiment):
    experiment = make_experiment()
    trainer = experiment.trainer
    trainer.discriminator_step(trainer.real_batch(), trainer.generate(grad=False))  # D has gradients now
    d_grads = [p.grad.clone() for p in experiment.discriminator.parameters()]
    d_before, g_before = parameters(experiment.discriminator), parameters(experiment.generator)

    loss = trainer.generator_step(trainer.generate())
    assert loss.dim() == 0 and not loss.requires_grad
    assert not any(changed(d_before, experiment.discriminator))
    assert all(changed(g_before, experiment.generator))
    # D's gradients were neither touched nor added to, and D can learn again afterwards.
    assert all(torch.equal(g, p.grad) for g, p in zip(d_grads, experiment.discriminator.parameters()))
    assert all(p.requires_grad for p in experiment.discriminator.parameters())


def test_a_discriminator_step_updates_d_and_not_g(make_experiment):
    experiment = make_experiment()
    trainer = experiment.trainer
    d_before, g_before = parameters(experiment.discriminator), parameters(experiment.generator)
    fake = trainer.generate()  # with G's graph: the step must detach it
    loss = trainer.discriminator_step(trainer.real_batch(), fake)
    assert loss.dim() == 0 and not loss.requires_grad
    assert all(changed(d_before, experiment.discriminator))
    assert not any(changed(g_before, experiment.generator))
    assert all(p.grad is None for p in experiment.generator.parameters())


def test_frozen_restores_requires_grad_even_after_an_error():
    module = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
    module[1].bias.requires_grad_(False)  # a parameter that was frozen before stays frozen
    with pytest.raises(RuntimeError), Trainer.frozen(module):
        assert not any(p.requires_grad for p in module.parameters())
        raise RuntimeError("inside")
    assert [p.requires_grad for p in module.parameters()] == [True, True, True, False]


def test_real_batches_and_noise_have_the_configured_shapes(make_experiment):
    experiment = make_experiment(noise={"name": "uniform", "dim": 3, "low": -1.0, "high": 1.0},
                                 train__batch_size=12)
    trainer = experiment.trainer
    assert trainer.real_batch().shape == (12, 1) and trainer.real_draws == 1
    noise = trainer.noise_batch()
    assert noise.shape == (12, 3) and noise.min() >= -1 and noise.max() < 1
    assert trainer.generate(5, grad=False).shape == (5, 1)
