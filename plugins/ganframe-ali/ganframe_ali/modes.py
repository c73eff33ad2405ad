"""Running a network in evaluation mode for a moment: the probes before training, encoding and
reconstructing after it. Dropout is off and batch-norm uses its running statistics, and the
network goes back to the mode it was in, so a look during training changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def evaluating(network: torch.nn.Module) -> Iterator[None]:
    """``network`` in evaluation mode inside the block, then back in the mode it was in."""
    was_training = network.training
    network.eval()
    try:
        yield
    finally:
        network.train(was_training)
