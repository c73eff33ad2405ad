"""Learning-rate schedules over a run, shared by both optimisers (``train.lr_decay``)."""

from __future__ import annotations

import math

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
