"""Lifecycle hooks are called through pluggy: wrappers wrap, a round can be wrapped or replaced, what a
run writes comes from plugins the loop does not know by name, and the loop imports no output writer."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

import ganframe
from ganframe import Experiment, PluginError
from ganframe.plugins import BUILTIN_PLUGINS
from ganframe.testing import fresh_plugins

CORE = Path(ganframe.__file__).resolve().parent


class RoundTimer:
    """Wraps every round, whatever the strategy: the use wrappers exist for."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.logs: list[set[str]] = []

    @ganframe.hookimpl(wrapper=True)
    def train_round(self, trainer):
        started = time.perf_counter()
        logs = yield
        self.seconds.append(time.perf_counter() - started)
        self.logs.append(set(logs))
        return {**logs, "round_seconds": logs["d_loss"].new_tensor(self.seconds[-1])}


class StepWrapper:
    def __init__(self) -> None:
        self.events: list[str] = []

    @ganframe.hookimpl(wrapper=True)
    def on_step_end(self, step):
        self.events.append(f"before {step}")
        result = yield
        self.events.append(f"after {step}")
        return result


class Inner:
    def __init__(self, events: list[str]) -> None:
        self.events = events

    @ganframe.hookimpl
    def on_step_end(self, step):
        self.events.append(f"inner {step}")


def test_a_wrapper_around_the_round_sees_and_changes_its_logs(make_experiment):
    timer = RoundTimer()
    seen: list[dict] = []

    class Logs:
        @ganframe.hookimpl
        def on_step_end(self, logs):
            seen.append(dict(logs))

    make_experiment(callbacks=[Logs(), timer], train__steps=4).fit()
    assert len(timer.seconds) == 4 and all(s > 0 for s in timer.seconds)
    assert timer.logs == [{"d_loss", "g_loss"}] * 4
    assert all("round_seconds" in logs for logs in seen)


def test_a_wrapper_on_a_lifecycle_hook_wraps_the_other_implementations(make_experiment):
    wrapper = StepWrapper()
    make_experiment(callbacks=[Inner(wrapper.events), wrapper], train__steps=2).fit()
    assert wrapper.events == ["before 1", "inner 1", "after 1", "before 2", "inner 2", "after 2"]


def test_a_plugin_can_replace_the_round(make_experiment):
    class Replace:
        @ganframe.hookimpl
        def train_round(self, trainer):
            return {"g_loss": trainer.generator_step(trainer.generate())}

    experiment = make_experiment(callbacks=[Replace()], train__steps=3)
    before = [p.detach().clone() for p in experiment.discriminator.parameters()]
    experiment.fit()
    assert all((b == p).all() for b, p in zip(before, experiment.discriminator.parameters()))  # D never learned


def test_a_failing_strategy_is_named_with_its_round(make_experiment):
    class Breaks:
        @ganframe.hookimpl(wrapper=True)
        def train_round(self, experiment, trainer):
            if experiment.step == 2:
                trainer.loss = None  # the strategy's G step then fails
            return (yield)

    with pytest.raises(PluginError) as caught:
        make_experiment(callbacks=[Breaks()], train__steps=4).fit()
    assert str(caught.value).startswith(
        "strategy 'alternating' (plugin 'ganframe.builtin.strategies') failed in round 3: AttributeError:"
    )


@pytest.mark.parametrize("hook", ["register_losses", "on_exception", "draw_figures"])
def test_wrappers_on_hooks_called_one_plugin_at_a_time_are_refused(hook):
    namespace: dict = {}
    exec(f"def {hook}():\n    yield\n", namespace)
    plugin = type("Wrapping", (), {hook: staticmethod(ganframe.hookimpl(wrapper=True)(namespace[hook]))})()
    plugins = fresh_plugins(plugin, entry_points=False)
    (broken,) = plugins.broken
    assert broken.error == (
        f"implements {hook!r} as a wrapper; ganframe calls that hook one plugin at a time, so it "
        "cannot be wrapped (drop wrapper=True)"
    )


class Notes:
    """A third-party output: one file per fit, made through fit_callbacks like ganframe's own."""

    @ganframe.hookimpl
    def fit_callbacks(self, experiment, run_dir):
        return NotesWriter(run_dir) if run_dir is not None else None


class NotesWriter:
    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.lines: list[str] = []

    @ganframe.hookimpl
    def on_step_end(self, step):
        self.lines.append(f"round {step}")

    @ganframe.hookimpl
    def on_experiment_end(self, step):
        (self.run_dir / "notes.txt").write_text("\n".join(self.lines) + "\n")


def test_a_plugin_adds_an_output_of_its_own(tmp_path):
    import ganframe_toy

    plugins = fresh_plugins(ganframe_toy, Notes(), entry_points=False)
    experiment = Experiment.from_setup(
        "toy", steps=3, device="cpu", plugins=plugins, overrides={"evaluation.samples": 100}
    )
    experiment.fit(tmp_path / "run")
    assert (tmp_path / "run" / "notes.txt").read_text() == "round 1\nround 2\nround 3\n"
    assert not any(isinstance(p, NotesWriter) for p in experiment.hooks.get_plugins())  # gone after the fit
    experiment.fit()  # no run directory: no notes, no error
    assert (tmp_path / "run" / "notes.txt").read_text() == "round 1\nround 2\nround 3\n"


def test_ganframes_own_outputs_are_plugins_that_can_be_disabled(tmp_path):
    import ganframe_toy

    plugins = fresh_plugins(
        ganframe_toy, disabled=["ganframe.plots.writer", "ganframe.html_report"], entry_points=False
    )
    Experiment.from_setup("toy", steps=3, device="cpu", plugins=plugins, overrides={"evaluation.samples": 100}).fit(
        tmp_path / "run"
    )
    written = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert written == ["checkpoints", "config.toml", "metrics.jsonl", "report.json"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            names |= {f"{base}.{alias.name}" if base else alias.name for alias in node.names} | {base}
    return names


OUTPUTS = ("runs", "plots", "html_report", "tensorboard", "progress", "summary", "snapshots")


@pytest.mark.parametrize(
    "module",
    [
        "experiment",
        "trainer",
        "build",
        "checkpoint",
        "components",
        "config",
        "hookspecs",
        "plugins",
        "registry",
        "data",
        "distributed",
        "epochs",
    ],
)
def test_the_loop_and_what_it_stands_on_import_no_output_writer(module):
    imported = _imports(CORE / f"{module}.py")
    offending = {
        name
        for name in imported
        for output in OUTPUTS
        if name.lstrip(".").split(".")[0] == output or f"ganframe.{output}" in name
    }
    assert not offending, f"ganframe/{module}.py imports {sorted(offending)}"


def test_the_outputs_are_builtin_plugins():
    assert {
        "ganframe.runs",
        "ganframe.plots.writer",
        "ganframe.plots.figures",
        "ganframe.html_report",
        "ganframe.tensorboard",
    } <= set(BUILTIN_PLUGINS)
