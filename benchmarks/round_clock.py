"""A lifecycle callback that times one fit's training rounds, for the benchmarks."""

from __future__ import annotations

import time

from ganframe import hookimpl


class RoundClock:
    """Times one fit's training rounds: from just before the first round (after every other plugin's
    ``on_experiment_start``) to just after the last (before any plugin's ``on_train_end``)."""

    def __init__(self) -> None:
        self.start = self.end = self.cpu_start = self.cpu_end = 0.0
        self.first_step = self.last_step = 0

    @hookimpl(trylast=True)
    def on_experiment_start(self, step: int) -> None:
        self.first_step = step
        self.start, self.cpu_start = time.perf_counter(), time.process_time()

    @hookimpl(wrapper=True)
    def on_train_end(self, step: int):
        self.end, self.cpu_end = time.perf_counter(), time.process_time()
        self.last_step = step
        return (yield)

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def cpu_seconds(self) -> float:
        return self.cpu_end - self.cpu_start

    @property
    def rounds(self) -> int:
        return self.last_step - self.first_step
