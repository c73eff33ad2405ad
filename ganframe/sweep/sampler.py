"""The sampler of a sweep: Optuna's TPE, seeded afresh for every trial from the sweep's seed and
the trial's number.

One TPE sampler with one seed would make a sweep repeatable in one process, but two processes
sharing a study (``--jobs``, or commands on several machines) would draw the same random points.
Seeding each trial from ``(sampler_seed, trial number)`` gives both: a sweep run again in one
process proposes the same points (its trainings being bit-identical on the CPU, it gives the same
table), and every trial of a shared study draws from a stream of its own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import optuna


class TrialSeededSampler(optuna.samplers.BaseSampler):
    """TPE with a seed per trial (see the module's docstring)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._current: tuple[int, optuna.samplers.BaseSampler] | None = None

    def _for(self, trial) -> optuna.samplers.BaseSampler:
        if self._current is None or self._current[0] != trial.number:
            state = np.random.SeedSequence([self.seed, trial.number]).generate_state(1)[0]
            self._current = (trial.number, optuna.samplers.TPESampler(seed=int(state)))
        return self._current[1]

    def infer_relative_search_space(self, study, trial) -> dict[str, Any]:
        return self._for(trial).infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial, search_space) -> dict[str, Any]:
        return self._for(trial).sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, param_name, param_distribution) -> Any:
        return self._for(trial).sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study, trial) -> None:
        self._for(trial).before_trial(study, trial)

    def after_trial(self, study, trial, state, values) -> None:
        self._for(trial).after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        """Nothing to do: every trial is seeded from its number."""
