"""Per-epoch means of the logged values (``train.epoch_logs``), for experiments on a finite data set.

An epoch is ``len(data) // train.batch_size`` rounds: one pass over the data when every round draws
one real batch (the ``alternating`` strategy with ``d_steps = 1``). At the end of each epoch the
training loop calls ``on_epoch_end`` with the mean of every logged value over the epoch's rounds;
the same rows go into ``report.json`` (``epochs``) and the run's ``metrics.jsonl``. A sampled
distribution has no epochs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from .distributed import DistributedContext, average_scalars


class EpochLog:
    """Sums the logged values round by round and closes an epoch every ``rounds_per_epoch`` rounds."""

    def __init__(self, rounds_per_epoch: int | None, context: DistributedContext) -> None:
        self.rounds_per_epoch = rounds_per_epoch  # None: no epoch logs (off, or the data has no epochs)
        self.context = context
        self.rows: list[dict[str, float]] = []  # {"epoch": 1, "step": 250, name: mean, ...} per epoch
        self._sums: dict[str, torch.Tensor] = {}
        self._counts: dict[str, int] = {}  # rounds that logged each name (a strategy may skip one)

    def add(self, step: int, logs: Mapping[str, torch.Tensor]) -> tuple[int, dict[str, float]] | None:
        """Add the logs of round ``step``; at an epoch's end, return (epoch, mean of each value)."""
        if self.rounds_per_epoch is None:
            return None
        for key, value in logs.items():
            value = value.detach().double().reshape(())
            self._sums[key] = self._sums[key] + value if key in self._sums else value
            self._counts[key] = self._counts.get(key, 0) + 1
        if step % self.rounds_per_epoch:
            return None
        means = average_scalars({k: v / self._counts[k] for k, v in self._sums.items()}, self.context)
        self._sums, self._counts = {}, {}
        epoch, values = step // self.rounds_per_epoch, {k: float(v) for k, v in means.items()}
        self.rows.append({"epoch": epoch, "step": step, **values})
        return epoch, values

    def state_dict(self) -> dict[str, Any]:
        """The closed epochs and the running sums of the open one, for checkpoints."""
        return {
            "rows": [dict(row) for row in self.rows],
            "sums": {k: float(v) for k, v in self._sums.items()},
            "counts": dict(self._counts),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.rows = [dict(row) for row in state["rows"]]
        self._sums = {k: torch.tensor(v, dtype=torch.float64) for k, v in state["sums"].items()}
        self._counts = dict(state["counts"])
