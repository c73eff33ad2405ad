"""The alternating strategy: how many D and G updates a round makes, in which order, on which fakes."""

from __future__ import annotations

import pytest
import torch


class Spy:
    """Wraps a trainer's update and generate methods to record what the strategy does."""

    def __init__(self, trainer) -> None:
        self.events: list[str] = []
        self.d_fakes: list[torch.Tensor] = []
        self.g_fakes: list[torch.Tensor] = []
        self.generated: list[bool] = []
        d_step, g_step, generate = trainer.discriminator_step, trainer.generator_step, trainer.generate

        def discriminator_step(real, fake):
            self.events.append("D")
            self.d_fakes.append(fake)
            assert real.shape == (trainer.batch_size, 1)
            return d_step(real, fake)

        def generator_step(fake):
            self.events.append("G")
            self.g_fakes.append(fake)
            return g_step(fake)

        def generate_(n=None, *, grad=True):
            self.generated.append(grad)
            return generate(n, grad=grad)

        trainer.discriminator_step = discriminator_step
        trainer.generator_step = generator_step
        trainer.generate = generate_


@pytest.mark.parametrize(("order", "expected"), [("d-first", "DDGGG"), ("g-first", "GGGDD")])
def test_d_steps_and_g_steps_in_either_order(make_experiment, order, expected):
    experiment = make_experiment(
        strategy={"name": "alternating", "d_steps": 2, "g_steps": 3, "order": order}, train__steps=2
    )
    spy = Spy(experiment.trainer)
    experiment.fit()
    assert "".join(spy.events) == expected * 2
    assert experiment.trainer.real_draws == 2 * 2  # one real batch per D step
    # Every update draws its own fake batch; D's are made without a graph.
    assert spy.generated.count(False) == 4 and spy.generated.count(True) == 6
    assert all(not fake.requires_grad for fake in spy.d_fakes)
    assert all(fake.requires_grad for fake in spy.g_fakes)
    assert len({id(f) for f in spy.d_fakes + spy.g_fakes}) == 10


def test_one_d_step_and_one_g_step_by_default(make_experiment):
    experiment = make_experiment(train__steps=3)
    spy = Spy(experiment.trainer)
    logs = experiment.strategy.train_round(experiment.trainer)
    assert spy.events == ["D", "G"] and set(logs) == {"d_loss", "g_loss"}


def test_a_g_first_round_works_before_any_real_batch(make_experiment):
    experiment = make_experiment(strategy={"name": "alternating", "order": "g-first"})
    assert experiment.trainer.last_real is None
    logs = experiment.strategy.train_round(experiment.trainer)
    assert torch.isfinite(logs["g_loss"]) and experiment.trainer.last_real is not None
