"""The ``unrolled`` strategy: registered through its entry point, its G update differs from a plain
GAN's and matches the unrolled objective worked out by hand, D is updated exactly as in a plain GAN,
runs resume bit for bit, and a 2-process torchrun run keeps both processes' networks identical."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import ganframe_unrolled
import pytest
import torch
import torch.nn.functional as F
from unrolled_testdata import Points, config

from ganframe import ConfigError, Experiment
from ganframe.testing import fresh_plugins

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def plugins():
    return fresh_plugins(ganframe_unrolled, Points(), entry_points=False)


def experiment(plugins, strategy: dict, **options) -> Experiment:
    return Experiment.from_dict(config(strategy, **options), plugins=plugins)


def state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in module.state_dict().items()}


def copy_of(generator: torch.Generator) -> torch.Generator:
    """A generator that will draw what ``generator`` draws next, leaving it alone."""
    return torch.Generator().set_state(generator.get_state())


def same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_registered_through_its_installed_entry_point():
    (entry_point,) = [ep for ep in importlib.metadata.entry_points(group="ganframe") if ep.name == "unrolled"]
    assert entry_point.value == "ganframe_unrolled"
    installed = fresh_plugins()
    (info,) = [info for info in installed.infos if info.name == "unrolled"]
    assert (info.distribution, info.error) == ("ganframe-unrolled", None)
    assert installed.registry.by_plugin()["unrolled"] == [("strategies", "unrolled")]
    component = installed.registry.component("strategies", "unrolled")
    assert component.config().unroll_steps == 5 and component.config().method == "exact"


def test_only_public_ganframe_modules_are_imported():
    for path in Path(ganframe_unrolled.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        ours = {name for name in imported if name.split(".")[0] == "ganframe"}
        assert ours <= {"ganframe", "ganframe.components", "ganframe.config"}, (path.name, ours)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"unroll_steps": -1}, "strategy: 'unroll_steps' must be >= 0, got -1"),
        ({"method": "second-order"}, "strategy: 'method' must be one of 'exact', 'first-order', got 'second-order'"),
        ({"d_steps": 0}, "strategy: 'd_steps' must be > 0, got 0"),
    ],
)
def test_bad_options_are_one_line(plugins, options, message):
    with pytest.raises(ConfigError) as caught:
        experiment(plugins, {"name": "unrolled", **options})
    assert str(caught.value) == message


def test_an_optimizer_the_exact_method_cannot_unroll_fails_before_training(plugins):
    with pytest.raises(
        ConfigError,
        match=r"unrolls Adam and SGD; the discriminator's optimizer is RMSprop: use "
        r"method = \"first-order\"",
    ):
        experiment(plugins, {"name": "unrolled"}, d_optimizer={"name": "rmsprop"})
    with pytest.raises(ConfigError, match="does not unroll weight decay"):
        experiment(plugins, {"name": "unrolled"}, d_optimizer={"name": "adam", "weight_decay": 0.1})
    first_order = experiment(plugins, {"name": "unrolled", "method": "first-order"}, d_optimizer={"name": "rmsprop"})
    assert first_order.fit()["steps"] == 3  # the first-order method steps D with whatever optimiser it has


def test_no_unrolling_is_exactly_the_plain_gan(plugins):
    plain = experiment(plugins, {"name": "alternating"}, steps=5)
    plain.fit()
    for method in ("exact", "first-order"):
        zero = experiment(plugins, {"name": "unrolled", "unroll_steps": 0, "method": method}, steps=5)
        zero.fit()
        assert same(state(zero.generator), state(plain.generator))
        assert same(state(zero.discriminator), state(plain.discriminator))


@pytest.mark.parametrize("method", ["exact", "first-order"])
def test_the_generator_update_differs_from_the_plain_one_and_d_is_updated_as_in_a_plain_gan(plugins, method):
    plain = experiment(plugins, {"name": "unrolled", "unroll_steps": 0}, steps=1)
    unrolled = experiment(plugins, {"name": "unrolled", "unroll_steps": 5, "method": method}, steps=1)
    before = state(unrolled.generator)
    logs = unrolled.strategy.train_round(unrolled.trainer)
    plain.strategy.train_round(plain.trainer)
    assert set(logs) == {"d_loss", "g_loss"} and all(torch.isfinite(v) for v in logs.values())
    assert not same(state(unrolled.generator), before)
    assert not same(state(unrolled.generator), state(plain.generator))
    # D takes the same step as in a plain GAN (same batch, same state): unrolling leaves no trace in D.
    assert same(state(unrolled.discriminator), state(plain.discriminator))
    d_state = unrolled.optimizers["discriminator"].state_dict()["state"]
    plain_state = plain.optimizers["discriminator"].state_dict()["state"]
    assert all(torch.equal(d_state[i]["exp_avg"], plain_state[i]["exp_avg"]) for i in d_state)


def test_the_exact_update_is_the_gradient_of_the_unrolled_objective(plugins):
    """Two SGD steps of D unrolled: G's step equals the one worked out with torch.func by hand."""
    sgd = {"name": "sgd", "lr": 0.5, "momentum": 0.0}
    unrolled = experiment(plugins, {"name": "unrolled", "unroll_steps": 2}, d_optimizer=sgd, steps=1)
    g, d = unrolled.generator, unrolled.discriminator
    by_hand = {name: p.detach().clone().requires_grad_() for name, p in g.named_parameters()}
    d_params = {name: p.detach().clone() for name, p in d.named_parameters()}
    # the strategy draws the real batch, then the noise: replay the same streams on copies
    real = unrolled.data.sample(32, generator=copy_of(unrolled.data_generator), device=torch.device("cpu"))
    z = unrolled.noise.sample(32, generator=copy_of(unrolled.noise_generator), device=torch.device("cpu"))

    def bce(scores, target):
        return F.binary_cross_entropy_with_logits(scores, torch.full_like(scores, target))

    fake = torch.func.functional_call(g, by_hand, (z,))
    theta = {name: p.requires_grad_() for name, p in d_params.items()}
    for _ in range(2):
        d_loss = bce(torch.func.functional_call(d, theta, (real,)), 1.0) + bce(
            torch.func.functional_call(d, theta, (fake,)), 0.0
        )
        grads = torch.autograd.grad(d_loss, list(theta.values()), create_graph=True)
        theta = {name: p - 0.5 * grad for (name, p), grad in zip(theta.items(), grads)}
    g_loss = -bce(torch.func.functional_call(d, theta, (fake,)), 0.0)  # minimax: G maximises D's fake loss
    expected = torch.autograd.grad(g_loss, list(by_hand.values()))
    adam = unrolled.optimizers["generator"]
    lr, eps = adam.param_groups[0]["lr"], adam.param_groups[0]["eps"]
    before = state(g)
    unrolled.strategy.train_round(unrolled.trainer)
    for (name, p), grad in zip(g.named_parameters(), expected):
        step = lr * grad / (grad.abs() + eps)  # Adam's first step is lr · g / (|g| + eps)
        assert torch.allclose(before[name] - p.detach(), step, atol=1e-6), name


def test_the_adam_and_sgd_rules_match_torchs_own_steps():
    torch.manual_seed(0)
    for make, rule in (
        (lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.5, 0.9)), ganframe_unrolled.AdamSteps),
        (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1), ganframe_unrolled.SGDSteps),
    ):
        net = torch.nn.Linear(3, 2)
        optimizer = make(net.parameters())
        x = torch.randn(5, 3)
        for _ in range(2):  # some optimiser state first
            optimizer.zero_grad()
            net(x).square().mean().backward()
            optimizer.step()
        params = {name: p.detach().clone().requires_grad_() for name, p in net.named_parameters()}
        steps = rule(optimizer, net)
        for _ in range(3):
            optimizer.zero_grad()
            loss = torch.func.functional_call(net, params, (x,)).square().mean()
            grads = dict(zip(params, torch.autograd.grad(loss, list(params.values()))))
            params = {name: p.detach().requires_grad_() for name, p in steps(params, grads).items()}
            net(x).square().mean().backward()
            optimizer.step()
            for name, p in net.named_parameters():
                assert torch.allclose(params[name], p, atol=1e-7), (rule.__name__, name)


@pytest.mark.parametrize("method", ["exact", "first-order"])
def test_a_stopped_run_resumes_bit_for_bit(plugins, tmp_path, method):
    strategy = {"name": "unrolled", "unroll_steps": 3, "method": method}
    whole = experiment(plugins, strategy, steps=6)
    whole.fit(tmp_path / "whole")
    half = experiment(plugins, strategy, steps=3)
    half.fit(tmp_path / "half")
    resumed = Experiment.load(tmp_path / "half", steps=6, plugins=plugins)
    resumed.fit(tmp_path / "half")
    for role in ("generator", "discriminator"):
        assert same(state(resumed.networks[role]), state(whole.networks[role])), role
    assert torch.equal(resumed.sample(50), whole.sample(50))


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    env["OMP_NUM_THREADS"] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            str(HERE / "unrolled_ddp_worker.py"),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads((out / f"rank-{rank}.json").read_text()) for rank in (0, 1)]


@pytest.mark.parametrize("method", ["exact", "first-order"])
def test_under_torchrun_both_processes_keep_identical_networks(two_processes, method):
    for result in two_processes:
        run = result[method]
        assert run["steps"] == 4 and run["per_process_batch"] == 16
        assert run["spread"] == 0.0  # every parameter of G and D equal to rank 0's, bit for bit
        assert run["changed"]  # and training did move them


def test_under_torchrun_the_unrolled_gradient_is_the_whole_batchs(two_processes):
    for result in two_processes:
        assert result["gradient_error"] < 1e-6
