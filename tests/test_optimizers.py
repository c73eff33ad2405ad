"""Optimiser options in the config reach the torch optimisers, each over its own network."""

from __future__ import annotations

import pytest
import torch

import ganframe


def group(optimizer: torch.optim.Optimizer) -> dict:
    assert len(optimizer.param_groups) == 1
    return optimizer.param_groups[0]


def test_adam_and_sgd_options(make_experiment):
    experiment = make_experiment(
        generator__optimizer={"name": "adam", "lr": 1e-3, "betas": [0.9, 0.99], "eps": 1e-7, "weight_decay": 0.01},
        discriminator__optimizer={"name": "sgd", "lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.001},
    )
    g, d = experiment.g_optimizer, experiment.d_optimizer
    assert type(g) is torch.optim.Adam and type(d) is torch.optim.SGD
    assert (group(g)["lr"], group(g)["betas"], group(g)["eps"], group(g)["weight_decay"]) == (
        1e-3,
        (0.9, 0.99),
        1e-7,
        0.01,
    )
    assert (group(d)["lr"], group(d)["momentum"], group(d)["nesterov"], group(d)["weight_decay"]) == (
        0.05,
        0.8,
        True,
        0.001,
    )


def test_rmsprop_options(make_experiment):
    experiment = make_experiment(generator__optimizer={"name": "rmsprop", "lr": 1e-4, "alpha": 0.9, "momentum": 0.1})
    g = experiment.g_optimizer
    assert type(g) is torch.optim.RMSprop
    assert (group(g)["lr"], group(g)["alpha"], group(g)["momentum"]) == (1e-4, 0.9, 0.1)


def test_defaults_are_adam_with_gan_betas(make_experiment):
    experiment = make_experiment()
    for optimizer in (experiment.g_optimizer, experiment.d_optimizer):
        assert type(optimizer) is torch.optim.Adam
        assert (group(optimizer)["lr"], group(optimizer)["betas"]) == (2e-4, (0.5, 0.999))


@pytest.mark.parametrize(
    ("implementation", "flags"),
    [
        ("auto", {"fused": True}),
        ("fused", {"fused": True}),
        ("foreach", {"foreach": True}),
        ("for-loop", {"foreach": False, "fused": None}),
    ],
)
def test_adam_implementation(make_experiment, implementation, flags):
    experiment = make_experiment(generator__optimizer={"name": "adam", "implementation": implementation})
    for key, value in flags.items():
        assert group(experiment.g_optimizer)[key] == value


def test_each_optimizer_holds_exactly_its_networks_parameters(make_experiment):
    experiment = make_experiment()
    assert [id(p) for p in group(experiment.g_optimizer)["params"]] == [
        id(p) for p in experiment.generator.parameters()
    ]
    assert [id(p) for p in group(experiment.d_optimizer)["params"]] == [
        id(p) for p in experiment.discriminator.parameters()
    ]


@pytest.mark.parametrize(("decay", "factor_at_half"), [("constant", 1.0), ("linear", 0.5), ("cosine", 0.5)])
def test_learning_rate_decay_over_the_run(make_experiment, decay, factor_at_half):
    class StopHalfway:
        @ganframe.hookimpl
        def on_step_end(self, experiment, step):
            if step == 2:
                experiment.request_stop()

    base = 1e-3
    optimizer = {"name": "sgd", "lr": base}
    experiment = make_experiment(
        callbacks=[StopHalfway()],
        train__steps=4,
        train__lr_decay=decay,
        generator__optimizer=optimizer,
        discriminator__optimizer=optimizer,
    )
    experiment.fit()
    for opt in (experiment.g_optimizer, experiment.d_optimizer):
        assert group(opt)["lr"] == pytest.approx(base * factor_at_half)
    experiment.fit()  # the remaining two rounds
    final = base if decay == "constant" else 0.0
    assert group(experiment.g_optimizer)["lr"] == pytest.approx(final, abs=1e-15)
