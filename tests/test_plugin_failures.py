"""A plugin that exits, interrupts or returns the wrong thing is reported by name, in one line; it
never takes a command down with it."""

from __future__ import annotations

from types import SimpleNamespace

import attrs
import pytest
import torch

import ganframe
from ganframe import Experiment, PluginError
from ganframe.testing import fresh_plugins


@attrs.frozen
class FakeEntryPoint:
    """What importlib.metadata gives for a plugin: ``load()`` imports its module."""

    name: str
    failure: BaseException
    dist: None = None

    @property
    def value(self) -> str:
        return f"{self.name.replace('-', '_')}_module"

    def load(self):
        raise self.failure


class Hang(BaseException):
    """Not an Exception: what some libraries raise to unwind."""


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (SystemExit(3), "failed to import exits_module: called sys.exit(3)"),
        (KeyboardInterrupt("no"), "failed to import exits_module: raised KeyboardInterrupt (not a signal): no"),
        (Hang("unwinding"), "failed to import exits_module: Hang: unwinding"),
    ],
)
def test_a_plugin_that_exits_or_interrupts_at_import_is_a_broken_plugin(failure, error, monkeypatch, cli):
    from ganframe import plugins as plugins_module

    monkeypatch.setattr(plugins_module, "_entry_points", lambda: [FakeEntryPoint("exits", failure)])
    loaded = fresh_plugins()
    assert [(info.name, info.error) for info in loaded.broken] == [("exits", error)]
    result = cli("list", "setups")
    assert result.code == 0
    assert result.err == f"ganframe: warning: plugin 'exits' is not loaded: {error} (see 'ganframe plugins')\n"


class ExitsInRegistration:
    @ganframe.hookimpl
    def register_losses(self, register):
        raise SystemExit("bye")


def test_a_plugin_that_exits_while_registering_is_a_broken_plugin():
    loaded = fresh_plugins(ExitsInRegistration(), entry_points=False)
    (info,) = loaded.broken
    assert info.error == "called sys.exit('bye') in register_losses"


class HalfALoss:
    """A loss for D only."""

    def discriminator_loss(self, discriminator, real, fake):
        return discriminator(fake).mean() - discriminator(real).mean()


class SwitchedOff:
    """A strategy whose ``train_round`` was set to None: not a strategy, the way ``isinstance`` decides."""

    train_round = None


class WrongThings:
    """Factories that return the wrong kind of object, and metrics that return the wrong values."""

    @ganframe.hookimpl
    def register_noise(self, register):
        register("not-noise", lambda config, context: "noise")
        register("no-sample", lambda config, context: SimpleNamespace(dim=4))

    @ganframe.hookimpl
    def register_losses(self, register):
        register("half-a-loss", lambda config, context: HalfALoss())

    @ganframe.hookimpl
    def register_strategies(self, register):
        register("not-a-strategy", lambda config, context: object())
        register("switched-off", lambda config, context: SwitchedOff())

    @ganframe.hookimpl
    def register_optimizers(self, register):
        register("not-an-optimizer", lambda config, context: {"lr": 0.1})

    @ganframe.hookimpl
    def register_metrics(self, register):
        register("not-callable", lambda config, context: 42)
        register("a-float", lambda config, context: lambda samples, context: 0.5)
        register("a-string-value", lambda config, context: lambda samples, context: {"mean": "high"})
        register("exits", lambda config, context: lambda samples, context: exit(1))


@pytest.fixture(scope="module")
def wrong_plugins():
    import ganframe_toy

    return fresh_plugins(ganframe_toy, WrongThings(), entry_points=False)


def plugin_name(wrong_plugins) -> str:
    return next(info.name for info in wrong_plugins.infos if "WrongThings" in info.name)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"strategy": "not-a-strategy"},
            "strategy 'not-a-strategy' (plugin '{p}') built a object, without train_round",
        ),
        (
            {"strategy": "switched-off"},
            "strategy 'switched-off' (plugin '{p}') built a SwitchedOff, without train_round",
        ),
        ({"noise": "not-noise"}, "noise 'not-noise' (plugin '{p}') built a str, without dim, sample"),
        ({"noise": "no-sample"}, "noise 'no-sample' (plugin '{p}') built a SimpleNamespace, without sample"),
        ({"loss": "half-a-loss"}, "loss 'half-a-loss' (plugin '{p}') built a HalfALoss, without generator_loss"),
        (
            {"generator": {"name": "mlp", "hidden": [8], "optimizer": "not-an-optimizer"}},
            "optimizer 'not-an-optimizer' (plugin '{p}') built a dict, not a torch.optim.optimizer.Optimizer",
        ),
        (
            {"evaluation": {"metrics": ["not-callable"]}},
            "metric 'not-callable' (plugin '{p}') built a int, not callable",
        ),
    ],
)
def test_a_factory_returning_the_wrong_type_names_component_and_plugin(change, message, wrong_plugins, tiny):
    with pytest.raises(PluginError) as caught:
        Experiment.from_dict(tiny | change, plugins=wrong_plugins)
    assert str(caught.value) == message.format(p=plugin_name(wrong_plugins))


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        (
            "a-float",
            "metric 'a-float' (plugin '{p}') returned a float, not a dict of named values such as {{'ks': 0.1}}",
        ),
        ("a-string-value", "metric 'a-string-value' (plugin '{p}') returned 'mean': str, not a number"),
        ("exits", "metric 'exits' (plugin '{p}') failed: SystemExit: 1"),
    ],
)
def test_a_metric_returning_the_wrong_values_says_so(metric, message, wrong_plugins, tiny):
    experiment = Experiment.from_dict(tiny, plugins=wrong_plugins)
    with pytest.raises(PluginError) as caught:
        experiment.evaluate(100, metrics=[metric])
    assert str(caught.value) == message.format(p=plugin_name(wrong_plugins))


class ExitsInAHook:
    @ganframe.hookimpl
    def on_step_end(self, step):
        if step == 2:
            raise SystemExit(0)


def test_a_plugin_calling_sys_exit_in_a_hook_fails_the_run_with_its_name(make_experiment):
    with pytest.raises(PluginError, match=r"plugin 'callback-0-ExitsInAHook' failed in on_step_end: SystemExit: 0"):
        make_experiment(callbacks=[ExitsInAHook()]).fit()


def test_the_cli_reports_a_plugin_metric_failure_in_one_line(cli, monkeypatch, tmp_path, assert_usage_error):
    from ganframe import plugins as plugins_module

    real = plugins_module.load_plugins
    monkeypatch.setattr(
        plugins_module, "load_plugins", lambda *args, **kwargs: real(*args, **{**kwargs, "extra": [WrongThings()]})
    )
    line = assert_usage_error(
        cli(
            "train",
            "toy",
            "--steps",
            "2",
            "--out",
            tmp_path / "run",
            "--quiet",
            "--set",
            "evaluation.metrics=['a-float']",
            "--set",
            "train.batch_size=16",
        )
    )
    assert "metric 'a-float'" in line and "returned a float" in line
    assert torch.load(tmp_path / "run" / "checkpoints" / "last.pt", weights_only=True)["step"] == 2
