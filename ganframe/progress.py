"""Progress of training as lifecycle plugins: a tqdm bar when stderr is a terminal, a line every
so many seconds when it is not. The CLI registers one of them (none with --quiet)."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Mapping
from typing import Any

import torch
from tqdm.auto import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from .hookimpl import hookimpl


class ProgressBar:
    """Shows rounds done, speed, and the latest losses (refreshed every ``train.log_every`` rounds).
    While it is shown, ganframe's log records meant for the terminal are written above it (tqdm's
    ``logging_redirect_tqdm``), not into it."""

    def __init__(self, label: str = "", **tqdm_options: Any) -> None:
        self.label = label  # shown first, e.g. "seed 3" in a multi-seed run
        self.options = tqdm_options
        self.bar: tqdm | None = None
        self.redirect = contextlib.ExitStack()

    @hookimpl
    def on_experiment_start(self, experiment, step: int) -> None:
        self.bar = tqdm(
            total=experiment.config.train.steps,
            initial=step,
            unit="step",
            desc=self.label or None,
            dynamic_ncols=True,
            **self.options,
        )
        self.redirect.enter_context(logging_redirect_tqdm([logging.getLogger("ganframe")], tqdm_class=tqdm))

    @hookimpl
    def on_step_end(self, experiment, step: int, logs: Mapping[str, torch.Tensor]) -> None:
        if self.bar is None:
            return
        self.bar.update(step - self.bar.n)
        if step % experiment.config.train.log_every == 0:
            self.bar.set_postfix({k: f"{float(v):.4g}" for k, v in logs.items()}, refresh=False)

    @hookimpl
    def on_evaluation(self, metrics: Mapping[str, float]) -> None:
        if self.bar is not None and metrics:
            name, value = next(iter(metrics.items()))  # the latest value of the first metric
            self.bar.set_description(" ".join(p for p in (self.label, f"{name} {value:.4g}") if p))

    @hookimpl
    def on_experiment_end(self) -> None:
        self.close()

    @hookimpl
    def on_exception(self) -> None:
        self.close()

    def close(self) -> None:
        self.redirect.close()  # the console handlers as they were
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class ProgressLines:
    """A line on stderr every ``every`` seconds — rounds done, rate, latest losses, time left — for
    output that is not a terminal (nohup, CI, a batch job's log), where a bar would be one
    ever-growing line or nothing at all."""

    def __init__(self, every: float = 30.0, label: str = "", stream: Any = None, clock: Any = time.monotonic) -> None:
        self.every = every
        self.label = label  # e.g. "seed 3" in a multi-seed run
        self.stream = stream
        self.clock = clock
        self._next = 0.0
        self._start: tuple[float, int] = (0.0, 0)

    @hookimpl
    def on_experiment_start(self, step: int) -> None:
        now = self.clock()
        self._start = (now, step)
        self._next = now + self.every

    @hookimpl
    def on_step_end(self, experiment, step: int, logs: Mapping[str, torch.Tensor]) -> None:
        now = self.clock()
        if now < self._next:
            return
        self._next = now + self.every
        total = experiment.config.train.steps
        started, first = self._start
        rate = (step - first) / max(now - started, 1e-9)
        left = f", {(total - step) / rate:.0f} s left" if rate > 0 else ""
        losses = "".join(f", {key} {float(value):.4g}" for key, value in logs.items())
        label = f"{self.label}: " if self.label else ""
        line = f"ganframe: {label}step {step}/{total} ({100 * step / total:.0f} %), {rate:.3g} steps/s{left}{losses}\n"
        stream = self.stream if self.stream is not None else sys.stderr
        try:
            stream.write(line)
            stream.flush()
        except (OSError, ValueError):  # the log went away (a closed pipe): training goes on
            pass
