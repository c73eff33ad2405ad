"""Learning-rate schedules over a run, one per network role, all following ``train.lr_decay``."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable

import torch
from torch.optim.lr_scheduler import LambdaLR


def lr_schedule(optimizer: torch.optim.Optimizer, decay: str, total_steps: int) -> LambdaLR:
    """A scheduler stepped once per round: constant, or decayed to zero at ``total_steps``."""

    def factor(step: int) -> float:
        progress = min(step / total_steps, 1.0)
        if decay == "linear":
            return 1.0 - progress
        if decay == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * progress))
        return 1.0

    return LambdaLR(optimizer, factor)


def step_schedules(schedules: Iterable[LambdaLR], first: bool = True) -> None:
    """Advance every schedule by one round. A schedule follows rounds, not updates: a role that a
    strategy did not update this round still moves on, so PyTorch's warning about a scheduler
    stepped before its optimiser is beside the point here. PyTorch warns only at a schedule's first
    step, so later rounds (``first=False``) skip the filter, which costs more than the steps."""
    if not first:
        for schedule in schedules:
            schedule.step()
        return
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"Detected call of `lr_scheduler\.step\(\)` before", category=UserWarning
        )
        for schedule in schedules:
            schedule.step()
