"""Lifecycle hooks: callbacks see the experiment start, every step, evaluations and the end, in order."""

from __future__ import annotations

import io
import logging

import pytest
import torch

import ganframe
from ganframe import Experiment, PluginError
from ganframe.progress import ProgressBar
from ganframe.testing import fresh_plugins


class Recorder:
    """Records every lifecycle call as (hook, step)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []
        self.logs: list[dict] = []
        self.metrics: list[dict] = []
        self.report = None
        self.exception = None
        self.experiment = None

    @ganframe.hookimpl
    def on_experiment_start(self, experiment, step):
        self.experiment = experiment
        self.calls.append(("start", step))

    @ganframe.hookimpl
    def on_step_end(self, experiment, step, logs):
        assert experiment is self.experiment and experiment.step == step
        self.calls.append(("step", step))
        self.logs.append(dict(logs))

    @ganframe.hookimpl
    def on_evaluation(self, step, metrics):
        self.calls.append(("evaluation", step))
        self.metrics.append(dict(metrics))

    @ganframe.hookimpl
    def on_experiment_end(self, step, report):
        self.calls.append(("end", step))
        self.report = report

    @ganframe.hookimpl
    def on_exception(self, step, exception):
        self.calls.append(("exception", step))
        self.exception = exception


class Boom:
    def __init__(self, at: int, error: BaseException) -> None:
        self.at, self.error = at, error

    @ganframe.hookimpl
    def on_step_end(self, step):
        if step == self.at:
            raise self.error


def test_hooks_are_called_in_order_with_the_right_steps(make_experiment):
    recorder = Recorder()
    report = make_experiment(callbacks=[recorder], train__steps=5, train__eval_every=2).fit()
    assert recorder.calls == [
        ("start", 0),
        ("step", 1),
        ("step", 2),
        ("evaluation", 2),
        ("step", 3),
        ("step", 4),
        ("evaluation", 4),
        ("step", 5),
        ("evaluation", 5),
        ("end", 5),
    ]
    assert recorder.report == report and report["steps"] == 5
    assert recorder.metrics[-1] == report["metrics"]
    assert all(set(m) == {"mean", "std", "skew", "kurtosis", "wasserstein", "ks"} for m in recorder.metrics)


def test_step_logs_are_detached_scalar_tensors(make_experiment):
    recorder = Recorder()
    make_experiment(callbacks=[recorder], train__steps=2).fit()
    for logs in recorder.logs:
        assert set(logs) == {"d_loss", "g_loss"}
        for value in logs.values():
            assert isinstance(value, torch.Tensor) and value.dim() == 0 and not value.requires_grad


def test_a_resumed_fit_starts_at_the_checkpoint_step(make_experiment, tmp_path):
    make_experiment(train__steps=3).fit(tmp_path / "run")
    recorder = Recorder()
    resumed = Experiment.load(tmp_path / "run", steps=5, callbacks=[recorder])
    resumed.fit(tmp_path / "run")
    assert recorder.calls[:2] == [("start", 3), ("step", 4)] and recorder.calls[-1] == ("end", 5)


def test_a_stopped_run_still_evaluates_and_ends(make_experiment):
    class Stop:
        @ganframe.hookimpl
        def on_step_end(self, experiment, step):
            if step == 2:
                experiment.request_stop()

    recorder = Recorder()
    experiment = make_experiment(callbacks=[recorder, Stop()], train__steps=5)
    report = experiment.fit()
    assert recorder.calls == [("start", 0), ("step", 1), ("step", 2), ("evaluation", 2), ("end", 2)]
    assert report["completed"] is False and experiment.stopped_early


def test_a_raising_callback_stops_training_with_an_error_naming_it(make_experiment):
    recorder = Recorder()
    experiment = make_experiment(callbacks=[recorder, Boom(3, ValueError("boom"))], train__steps=5)
    with pytest.raises(PluginError) as caught:
        experiment.fit()
    assert str(caught.value) == "plugin 'callback-1-Boom' failed in on_step_end: ValueError: boom"
    assert isinstance(caught.value.__cause__, ValueError)
    assert recorder.calls[-1] == ("exception", 3) and ("end", 3) not in recorder.calls
    assert recorder.exception is caught.value
    assert experiment.step == 3


def test_keyboard_interrupt_reaches_on_exception_and_is_re_raised_unchanged(make_experiment):
    recorder = Recorder()
    with pytest.raises(KeyboardInterrupt):
        make_experiment(callbacks=[recorder, Boom(2, KeyboardInterrupt())], train__steps=5).fit()
    assert recorder.calls[-1] == ("exception", 2)
    assert isinstance(recorder.exception, KeyboardInterrupt)


def test_an_error_inside_on_exception_is_logged_and_the_original_error_kept(make_experiment, caplog):
    class BadCleanup:
        @ganframe.hookimpl
        def on_exception(self):
            raise OSError("disk full")

    recorder = Recorder()
    experiment = make_experiment(callbacks=[recorder, BadCleanup(), Boom(1, ValueError("first"))])
    with caplog.at_level(logging.WARNING, logger="ganframe"), pytest.raises(PluginError, match="ValueError: first"):
        experiment.fit()
    assert recorder.calls[-1] == ("exception", 1)  # still told, after the failing one
    assert "plugin 'callback-1-BadCleanup' failed in on_exception: disk full" in caplog.text


def test_a_callback_implementing_an_unknown_hook_is_refused(make_experiment):
    class Typo:
        @ganframe.hookimpl
        def on_step_ended(self, step):
            pass

    with pytest.raises(PluginError) as caught:
        make_experiment(callbacks=[Typo()])
    assert (
        str(caught.value)
        == "callback Typo implements 'on_step_ended', which is not a ganframe hook; docs/hooks.md lists them"
    )


def test_a_callback_with_a_wrong_argument_is_refused_in_one_line(make_experiment):
    class WrongArgument:
        @ganframe.hookimpl
        def on_step_end(self, stepp):
            pass

    with pytest.raises(PluginError, match=r"^callback WrongArgument: ") as caught:
        make_experiment(callbacks=[WrongArgument()])
    assert "stepp" in str(caught.value) and "\n" not in str(caught.value)


def test_callbacks_belong_to_one_experiment(make_experiment):
    recorder = Recorder()
    make_experiment(callbacks=[recorder], train__steps=1)
    other = make_experiment(train__steps=1)  # shares the loaded plugins
    other.fit()
    assert recorder.calls == []


def test_later_callbacks_are_called_first(make_experiment):
    order = []

    class Named:
        def __init__(self, name):
            self.name = name

        @ganframe.hookimpl
        def on_experiment_start(self):
            order.append(self.name)

    make_experiment(callbacks=[Named("first"), Named("second")], train__steps=1).fit()
    assert order == ["second", "first"]


def test_installed_plugins_receive_lifecycle_hooks_too(tiny):
    class Counter:
        steps = 0

        @ganframe.hookimpl
        def on_step_end(self):
            Counter.steps += 1

    plugins = fresh_plugins(Counter())
    Experiment.from_dict(tiny, overrides={"train.steps": 3}, plugins=plugins).fit()
    Experiment.from_dict(tiny, overrides={"train.steps": 2}, plugins=plugins).fit()
    assert Counter.steps == 5


def test_the_progress_bar_is_a_callback(make_experiment):
    output = io.StringIO()
    bar = ProgressBar(file=output)
    make_experiment(callbacks=[bar], train__steps=4).fit()
    assert "4/4" in output.getvalue()
    assert bar.bar is None  # closed at the end
