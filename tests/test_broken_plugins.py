"""A plugin that fails to import or raises in a hook is reported by name; the others keep working."""

from __future__ import annotations

import torch

import ganframe
from ganframe import Experiment
from ganframe.testing import fresh_plugins

BROKEN = {
    "broken-import": "failed to import broken_import: RuntimeError: cannot find libfoo",
    "broken-hook": "failed in register_generators: ValueError: bad generator table",
    "broken-typo": "implements 'register_generator', which is not a ganframe hook; docs/hooks.md lists them",
}
#: pluggy words this one; ganframe prefixes it and keeps it on one line.
BAD_ARGUMENT = ("broken-args", "invalid hook implementation: ", "registrar")


def check_errors(errors: dict[str, str]) -> None:
    errors = dict(errors)
    name, prefix, word = BAD_ARGUMENT
    bad_argument = errors.pop(name)
    assert bad_argument.startswith(prefix) and word in bad_argument and "\n" not in bad_argument
    assert errors == BROKEN


def test_installed_broken_plugins_are_recorded_with_their_error(with_installed):
    plugins = fresh_plugins()
    check_errors({info.name: info.error for info in plugins.broken})
    infos = {info.name: info for info in plugins.infos}
    assert infos["broken-hook"].distribution == "ganframe-broken" and infos["broken-hook"].version == "0.0.1"
    assert not infos["myplug"].broken and not infos["toy"].broken


def test_what_a_failing_hook_registered_before_raising_is_dropped(with_installed):
    plugins = fresh_plugins()
    assert "half-registered" not in plugins.registry.names("generators")
    assert "broken-hook" not in plugins.registry.by_plugin()
    assert plugins.manager.get_plugin("broken-hook") is None  # its lifecycle hooks will not run either


def test_plugins_command_reports_each_broken_plugin_and_exits_zero(with_installed, cli):
    result = cli("plugins")
    assert result.code == 0 and result.err == ""
    lines = result.out.splitlines()
    shown = {}
    for name in [*BROKEN, BAD_ARGUMENT[0]]:
        header = next(i for i, line in enumerate(lines) if line.startswith(f"{name}  ["))
        assert lines[header] == f"{name}  [ganframe-broken 0.0.1]"
        assert lines[header + 1].startswith("    BROKEN: ")
        assert not lines[header + 2].startswith("    ")  # the error is one line, and nothing is listed
        shown[name] = lines[header + 1].removeprefix("    BROKEN: ")
    check_errors(shown)


def test_other_commands_warn_once_per_broken_plugin_and_still_work(with_installed, cli, tmp_path):
    result = cli(
        "train",
        "toy",
        "--steps",
        "2",
        "--device",
        "cpu",
        "--quiet",
        "--out",
        tmp_path / "run",
        "--set",
        "train.batch_size=16",
        "--set",
        "evaluation.samples=200",
    )
    assert result.code == 0
    assert result.out.strip() == str(tmp_path / "run")
    warnings = result.err.splitlines()
    assert len(warnings) == len(BROKEN) + 1
    for name, error in BROKEN.items():
        assert f"ganframe: warning: plugin {name!r} is not loaded: {error} (see 'ganframe plugins')" in warnings
    assert sum(w.startswith(f"ganframe: warning: plugin {BAD_ARGUMENT[0]!r}") for w in warnings) == 1


class RaisingHook:
    @ganframe.hookimpl
    def register_losses(self, register):
        register("half-loss", lambda config, context: None)
        raise KeyError("missing table")


class BadName:
    @ganframe.hookimpl
    def register_noise(self, register):
        register("Bad Name", lambda config, context: None)


class NotCallable:
    @ganframe.hookimpl
    def register_noise(self, register):
        register("not-callable", 42)


class WrongArgument:
    @ganframe.hookimpl
    def register_noise(self, registrar):  # not an argument of the hook
        pass


class Fine:
    @ganframe.hookimpl
    def register_noise(self, register):
        register("fine-noise", lambda config, context: None)


def test_registration_errors_of_plugin_objects_are_one_line_each_and_name_the_plugin():
    plugins = fresh_plugins(RaisingHook(), BadName(), NotCallable(), WrongArgument(), Fine(), entry_points=False)
    errors = {info.name: info.error for info in plugins.broken}
    assert errors["extra-0-RaisingHook"] == "failed in register_losses: KeyError: 'missing table'"
    assert errors["extra-1-BadName"] == (
        "plugin 'extra-1-BadName' registered the noise name 'Bad Name'; names are lower-case letters, "
        "digits, '-', '_' and '.'"
    )
    assert (
        errors["extra-2-NotCallable"]
        == "noise 'not-callable' from plugin 'extra-2-NotCallable': factory is not callable"
    )
    assert errors["extra-3-WrongArgument"].startswith("cannot register: ")
    assert "registrar" in errors["extra-3-WrongArgument"]
    assert all("\n" not in error for error in errors.values())
    assert "extra-4-Fine" not in errors
    assert "fine-noise" in plugins.registry.names("noise")
    assert "half-loss" not in plugins.registry.names("losses")


def test_a_broken_plugin_does_not_stop_experiments_that_do_not_need_it(tiny):
    plugins = fresh_plugins(RaisingHook(), BadName())
    experiment = Experiment.from_dict(tiny, overrides={"train.steps": 2}, plugins=plugins)
    experiment.fit()
    assert experiment.step == 2 and torch.isfinite(experiment.sample(10)).all()
