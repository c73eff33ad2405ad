"""Helpers for plugin authors' tests: a fresh plugin manager, a tiny end-to-end run, the training
state by name, a callback that stops a fit, and a metric that records the samples it is given.

from ganframe.testing import fresh_plugins, smoke_run

def test_my_setup_trains():
    experiment = smoke_run("my-setup", preset="default")
    assert experiment.step == 5
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import torch

from .components import MetricContext, RegisterMetric
from .experiment import Experiment
from .hookimpl import hookimpl
from .plugins import Plugins, load_plugins


def fresh_plugins(*plugins: object, disabled: Iterable[str] = (), entry_points: bool = True) -> Plugins:
    """A new plugin manager with ``plugins`` (modules or objects) registered after the installed ones.

    ``GANFRAME_DISABLE_PLUGINS`` is ignored so tests do not depend on the caller's environment.
    """
    return load_plugins(disabled, extra=plugins, entry_points=entry_points, use_environment=False)


def smoke_run(
    setup: str,
    preset: str | None = None,
    *,
    steps: int = 5,
    seed: int = 0,
    overrides: Mapping[str, Any] | None = None,
    plugins: Plugins | None = None,
) -> Experiment:
    """Train ``setup`` for a few rounds on the CPU and check samples have the right shape and are finite.

    The right shape is that of real examples in data space, which differs from ``sample_shape``
    when the data source decodes model outputs (bits read back as integers, say).
    """
    experiment = Experiment.from_setup(
        setup, preset, seed=seed, steps=steps, device="cpu", overrides=overrides, plugins=plugins
    )
    experiment.fit()
    samples = experiment.sample(4)
    real = experiment.data.reference_samples(1, torch.Generator().manual_seed(seed))
    expected = (4, *real.shape[1:])
    if tuple(samples.shape) != expected:
        raise AssertionError(f"samples have shape {tuple(samples.shape)}, expected {expected}")
    if samples.is_floating_point() and not torch.isfinite(samples).all():
        raise AssertionError("samples contain NaN or infinity")
    return experiment


def training_state(experiment: Experiment) -> dict[str, torch.Tensor]:
    """Every network's weights and every optimiser's state tensors, on the CPU, by a readable name
    (``"generator.net.0.weight"``, ``"generator.opt.0.exp_avg"``): what must match, bit for bit, for
    two runs to have trained alike (a resumed run and an uninterrupted one, eager and captured)."""
    state = experiment.state_dict()
    found = {f"{role}.{name}": value for role, weights in state["networks"].items() for name, value in weights.items()}
    for role, optimizer in state["optimizers"].items():
        for index, param_state in optimizer["state"].items():
            found |= {f"{role}.opt.{index}.{name}": value for name, value in param_state.items()}
    return {name: value.detach().cpu() if isinstance(value, torch.Tensor) else value for name, value in found.items()}


class StopAt:
    """A callback that asks the experiment to stop after round ``step``, as a first Ctrl-C does:
    ``Experiment.from_setup(..., callbacks=[StopAt(3)])``."""

    def __init__(self, step: int) -> None:
        self.step = step

    @hookimpl
    def on_step_end(self, experiment: Experiment, step: int) -> None:
        if step == self.step:
            experiment.request_stop()


class SampleRecorder:
    """A plugin whose metric, ``recorded-samples``, keeps a CPU copy of the samples it is given and
    reports nothing, so a test can check a metric against a value computed independently from the
    very samples it saw::

        recorder = SampleRecorder()
        experiment = smoke_run("my-setup", plugins=fresh_plugins(recorder))
        metrics = experiment.evaluate(metrics=[*experiment.config.evaluation.metrics, "recorded-samples"])
        (samples,) = recorder.seen  # the data-space samples every metric of that call scored
    """

    name = "recorded-samples"

    def __init__(self) -> None:
        self.seen: list[torch.Tensor] = []

    @hookimpl
    def register_metrics(self, register: RegisterMetric) -> None:
        register(self.name, lambda config, context: self.record)

    def record(self, samples: torch.Tensor, context: MetricContext) -> dict[str, float]:
        self.seen.append(samples.detach().to("cpu", copy=True))
        return {}
