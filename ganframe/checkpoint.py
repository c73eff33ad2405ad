"""Checkpoint files: every network, optimiser and schedule by role, the training position, the
state of stateful strategies and losses, and every random state, in one file.

A checkpoint lets a run continue exactly where it stopped: resuming gives the same result, bit for
bit on CPU, as never stopping. It is written atomically (to a temporary file, then renamed), so an
interrupted write never leaves a truncated checkpoint behind. What goes into it is
``Experiment.state_dict()``; this module reads and writes the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from . import distributed
from .errors import RunDirectoryError
from .rundir import write_atomically

CHECKPOINT_DIR = "checkpoints"
LAST = "last.pt"
FORMAT = 2  # 2: networks, optimizers and schedules by role; 1 (ganframe 0.1): generator and discriminator


def path(directory: Path) -> Path:
    return directory / CHECKPOINT_DIR / LAST


def save(directory: Path, content: Mapping[str, Any], context: distributed.DistributedContext) -> Path:
    """Write ``content`` (main process only; every process must call this)."""
    target = path(directory)
    if context.is_main:
        write_atomically(target, lambda handle: torch.save(dict(content), handle))
    distributed.barrier(context)
    return target


def read(directory: Path) -> dict[str, Any]:
    """The checkpoint of ``directory`` in today's format; a one-line RunDirectoryError otherwise."""
    source = path(directory)
    if not source.is_file():
        raise RunDirectoryError(f"{str(directory)!r} holds no checkpoint ({CHECKPOINT_DIR}/{LAST} is missing)")
    try:
        content = torch.load(source, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise RunDirectoryError(f"cannot read checkpoint {str(source)!r}: {type(exc).__name__}: {exc}") from None
    if not isinstance(content, dict) or content.get("format") not in (1, FORMAT):
        raise RunDirectoryError(f"{str(source)!r} is not a ganframe checkpoint of format {FORMAT}")
    return upgrade(content) if content["format"] == 1 else content


def upgrade(content: Mapping[str, Any]) -> dict[str, Any]:
    """A format-1 checkpoint (the two networks under fixed names) in format 2 (by role)."""
    roles = ("generator", "discriminator")
    old = dict(content)
    new = {key: old.pop(key) for key in ("step", "seconds", "real_draws", "rng", "device_type", "epoch_log")
           if key in old}
    new["format"] = FORMAT
    new["networks"] = {role: old[role] for role in roles}
    new["optimizers"] = dict(zip(roles, (old["g_optimizer"], old["d_optimizer"])))
    new["schedules"] = dict(zip(roles, old["schedules"]))
    return new
