"""The public trainer: one update path for every role, freezing, rolling back, a differentiable
copy of a network, and clear errors for a strategy that asks for what is not there."""

from __future__ import annotations

import pytest
import torch

from ganframe import ConfigError, PluginError
from ganframe.components import Trainer


def parameters(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def changed(before: list[torch.Tensor], module: torch.nn.Module) -> list[bool]:
    return [not torch.equal(b, p) for b, p in zip(before, module.parameters())]


def test_the_trainer_implements_the_public_protocol(make_experiment):
    trainer = make_experiment().trainer
    assert isinstance(trainer, Trainer)
    assert trainer.roles == ("generator", "discriminator")
    assert trainer.network("generator") is trainer.generator
    assert trainer.optimizer("discriminator").param_groups[0]["params"][0] is next(trainer.discriminator.parameters())


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


def test_update_sends_gradients_into_its_role_only(make_experiment):
    experiment = make_experiment()
    trainer = experiment.trainer
    # One loss through both networks, without freezing D: only G's parameters receive gradients.
    loss = trainer.discriminator(trainer.generate()).mean()
    d_before = parameters(experiment.discriminator)
    trainer.update("generator", loss)
    assert all(p.grad is None for p in experiment.discriminator.parameters())
    assert not any(changed(d_before, experiment.discriminator))
    assert all(p.grad is not None for p in experiment.generator.parameters())


def test_an_unknown_role_is_one_line_naming_the_strategy_and_the_roles(make_experiment):
    trainer = make_experiment().trainer
    with pytest.raises(ConfigError) as caught:
        trainer.update("encoder", torch.zeros((), requires_grad=True))
    assert str(caught.value) == (
        "strategy 'alternating' (plugin 'ganframe.builtin.strategies') needs the network role "
        "'encoder', which this experiment does not have (its roles: generator, "
        "discriminator); add a [networks.encoder] section"
    )
    with pytest.raises(ConfigError, match="'critic', which this experiment does not have"):
        trainer.network("critic")


def test_a_loss_that_does_not_reach_the_role_is_refused(make_experiment):
    trainer = make_experiment().trainer
    copy = trainer.differentiable_copy("discriminator")  # what an unrolled GAN works on
    loss = copy(trainer.real_batch()).mean()
    before = parameters(trainer.discriminator)
    with pytest.raises(
        PluginError,
        match=r"passed update\('discriminator'\) a loss that does not depend on the "
        r"discriminator's parameters \(computed with a copy",
    ):
        trainer.update("discriminator", loss)
    assert not any(changed(before, trainer.discriminator))
    with pytest.raises(PluginError, match="takes a scalar loss"):
        trainer.update("generator", trainer.generate())


def test_updating_a_frozen_role_is_refused(make_experiment):
    trainer = make_experiment().trainer
    with trainer.frozen("generator"), pytest.raises(PluginError, match="updated the generator while it is frozen"):
        trainer.update("generator", trainer.discriminator(trainer.generate()).mean())


def test_frozen_restores_requires_grad_even_after_an_error(make_experiment):
    trainer = make_experiment().trainer
    module = trainer.discriminator
    last = list(module.parameters())[-1]
    last.requires_grad_(False)  # a parameter that was frozen before stays frozen
    with pytest.raises(RuntimeError), trainer.frozen("discriminator"):
        assert not any(p.requires_grad for p in module.parameters())
        raise RuntimeError("inside")
    assert [p.requires_grad for p in module.parameters()][-2:] == [True, False]


def test_rollback_undoes_weights_and_optimizer_state(make_experiment):
    experiment = make_experiment()
    trainer = experiment.trainer
    trainer.discriminator_step(trainer.real_batch(), trainer.generate(grad=False))  # Adam has state now
    weights = {k: v.clone() for k, v in trainer.discriminator.state_dict().items()}
    state = trainer.optimizer("discriminator").state_dict()
    moments = [s["exp_avg"].clone() for s in state["state"].values()]
    with trainer.rollback("discriminator"):
        for _ in range(3):
            trainer.discriminator_step(trainer.real_batch(), trainer.generate(grad=False))
        assert any(not torch.equal(weights[k], v) for k, v in trainer.discriminator.state_dict().items())
    assert all(torch.equal(weights[k], v) for k, v in trainer.discriminator.state_dict().items())
    after = trainer.optimizer("discriminator").state_dict()["state"]
    assert all(torch.equal(m, s["exp_avg"]) for m, s in zip(moments, after.values()))
    # the parameters are the same objects: the optimiser still steps them
    optimizer_params = trainer.optimizer("discriminator").param_groups[0]["params"]
    assert [id(p) for p in optimizer_params] == [id(p) for p in trainer.discriminator.parameters()]


def test_a_differentiable_copy_steps_without_touching_the_network(make_experiment):
    experiment = make_experiment()
    trainer = experiment.trainer
    d, g = trainer.discriminator, trainer.generator
    before = parameters(d)
    x, z = trainer.real_batch(), trainer.noise_batch()
    copy = trainer.differentiable_copy("discriminator")
    assert torch.equal(copy(x), d(x)) and copy.output == "logits"  # the same function; D's attributes

    def g_gradients(unrolled_loss) -> list[torch.Tensor]:
        for p in g.parameters():
            p.grad = None
        unrolled_loss(g(z)).backward()
        return [p.grad.clone() for p in g.parameters()]

    def through_the_copy(fake):  # one SGD step of the copy on a loss of G's fakes, then G's loss through it
        grads = copy.gradients(copy(fake).mean())
        return -copy.with_parameters({name: p - 0.5 * grads[name] for name, p in copy.named_parameters()})(fake).mean()

    def by_hand(fake):  # the same computation written out with torch.func
        params = {name: p.detach().clone().requires_grad_() for name, p in d.named_parameters()}
        inner = torch.func.functional_call(d, params, (fake,)).mean()
        step = torch.autograd.grad(inner, list(params.values()), create_graph=True)
        moved = {name: p - 0.5 * grad for (name, p), grad in zip(params.items(), step)}
        return -torch.func.functional_call(d, moved, (fake,)).mean()

    unrolled, expected = g_gradients(through_the_copy), g_gradients(by_hand)
    with trainer.frozen("discriminator"):
        plain = g_gradients(lambda fake: -d(fake).mean())
    assert all(torch.allclose(a, b) for a, b in zip(unrolled, expected))
    assert not all(torch.allclose(a, b) for a, b in zip(unrolled, plain))  # the step's dependence on G counts
    assert not any(changed(before, d)) and all(p.grad is None for p in d.parameters())


def test_real_batches_and_noise_have_the_configured_shapes(make_experiment):
    experiment = make_experiment(noise={"name": "uniform", "dim": 3, "low": -1.0, "high": 1.0}, train__batch_size=12)
    trainer = experiment.trainer
    assert trainer.real_batch().shape == (12, 1) and trainer.real_draws == 1
    noise = trainer.noise_batch()
    assert noise.shape == (12, 3) and noise.min() >= -1 and noise.max() < 1
    assert trainer.generate(5, grad=False).shape == (5, 1)


def test_the_strategys_random_stream_is_seeded_and_its_own(make_experiment):
    first, second = make_experiment().trainer, make_experiment().trainer
    assert torch.equal(torch.rand(4, generator=first.rng), torch.rand(4, generator=second.rng))
    other_seed = make_experiment(seed=1).trainer
    assert not torch.equal(
        torch.rand(4, generator=make_experiment().trainer.rng), torch.rand(4, generator=other_seed.rng)
    )
    assert first.step == 0


def test_update_trains_several_roles_on_one_loss(make_experiment):
    """ALI's G and E, InfoGAN's G and Q: one backward pass, then each role's optimiser steps."""
    experiment = make_experiment()
    trainer = experiment.trainer
    g_before, d_before = parameters(experiment.generator), parameters(experiment.discriminator)
    loss = trainer.discriminator(trainer.generate()).mean()
    returned = trainer.update(("generator", "discriminator"), loss)
    assert all(changed(g_before, experiment.generator)) and all(changed(d_before, experiment.discriminator))
    assert torch.equal(returned, loss.detach()) and not returned.requires_grad
    # The same rules as one role: each role must exist, none frozen, and the loss must reach them.
    with pytest.raises(ConfigError, match="'encoder', which this experiment does not have"):
        trainer.update(("generator", "encoder"), trainer.discriminator(trainer.generate()).mean())
    with (
        trainer.frozen("discriminator"),
        pytest.raises(PluginError, match="updated the discriminator while it is frozen"),
    ):
        trainer.update(("generator", "discriminator"), trainer.discriminator(trainer.generate()).mean())
    with pytest.raises(PluginError, match=r"passed update\(\) \(\); it takes a role name or a tuple of them"):
        trainer.update((), loss)
