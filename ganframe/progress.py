"""A tqdm progress bar as a lifecycle plugin: the CLI registers it when output is a terminal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from tqdm.auto import tqdm

from .hookimpl import hookimpl


class ProgressBar:
    """Shows rounds done, speed, and the latest losses (refreshed every ``train.log_every`` rounds)."""

    def __init__(self, label: str = "", **tqdm_options: Any) -> None:
        self.label = label  # shown first, e.g. "seed 3" in a multi-seed run
        self.options = tqdm_options
        self.bar: tqdm | None = None

    @hookimpl
    def on_experiment_start(self, experiment, step: int) -> None:
        self.bar = tqdm(total=experiment.config.train.steps, initial=step, unit="step", desc=self.label or None,
                        dynamic_ncols=True, **self.options)

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
        if self.bar is not None:
            self.bar.close()
            self.bar = None
