"""Checkpoint files: every network, optimiser and schedule by role, the training position, the
state of stateful strategies and losses, and every random state, in one file.

A checkpoint lets a run continue exactly where it stopped: resuming gives the same result, bit for
bit on CPU, as never stopping. It is written atomically (to a temporary file, then renamed), so an
interrupted write never leaves a truncated checkpoint behind, and it carries a SHA-256 checksum of
its contents, so a damaged file (a flipped bit on disk or in a copy) is reported instead of loaded.
A state with non-finite network weights is never written: a diverged run keeps its last good
checkpoint. What goes into it is ``Experiment.state_dict()``; this module reads and writes the file,
which stays an ordinary ``torch.load``-able dict.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from . import distributed
from .errors import DivergedError, RunDirectoryError
from .rundir import write_atomically

CHECKPOINT_DIR = "checkpoints"
LAST = "last.pt"
FORMAT = 2  # 2: networks, optimizers and schedules by role; 1 (ganframe 0.1): generator and discriminator
CHECKSUM = "sha256"  # the key of the checksum of every other key's contents (absent before ganframe 0.3)
#: What every checkpoint of format 2 holds, and of which type.
REQUIRED: dict[str, type | tuple[type, ...]] = {
    "step": int,
    "seconds": (int, float),
    "real_draws": int,
    "networks": dict,
    "optimizers": dict,
    "schedules": dict,
    "rng": list,
}


def path(directory: Path) -> Path:
    return directory / CHECKPOINT_DIR / LAST


def exists(directory: Path) -> bool:
    """Whether the run has a checkpoint, or anything in its place (which ``read`` then reports)."""
    return path(directory).exists() or path(directory).is_symlink()


def save(directory: Path, content: Mapping[str, Any], context: distributed.DistributedContext) -> Path:
    """Write ``content`` with its checksum (main process only; every process must call this).

    Raises :class:`DivergedError`, writing nothing, when a network's weights are not finite.
    """
    target = path(directory)
    if context.is_main:
        check_finite(content.get("networks", {}), f"not writing a checkpoint at step {content.get('step')}")
        stamped = {**content, CHECKSUM: checksum(content)}
        write_atomically(target, lambda handle: torch.save(stamped, handle))
    distributed.barrier(context)
    return target


def check_finite(networks: Mapping[str, Mapping[str, Any]], what: str) -> None:
    """Every floating-point tensor of each role's state dict is finite, or a DivergedError naming the role."""
    for role, state in networks.items():
        for name, value in state.items():
            if torch.is_tensor(value) and value.is_floating_point() and not bool(torch.isfinite(value).all()):
                raise DivergedError(
                    f"{what}: the {role}'s weights are not finite ({name}); training diverged. "
                    "Lower the learning rates or check the data for NaN and infinity"
                )


def checksum(content: Mapping[str, Any]) -> str:
    """SHA-256 over every value but the checksum itself: tensors by dtype, shape and bytes, the rest
    by type and value, in key order as saved."""
    digest = hashlib.sha256()
    _feed(digest, {key: value for key, value in content.items() if key != CHECKSUM})
    return digest.hexdigest()


def _feed(digest: Any, value: Any) -> None:
    if torch.is_tensor(value):
        tensor = value.detach().cpu().contiguous()
        digest.update(f"tensor {tensor.dtype} {tuple(tensor.shape)};".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    elif isinstance(value, Mapping):
        digest.update(f"dict {len(value)};".encode())
        for key, item in value.items():
            _feed(digest, key)
            _feed(digest, item)
    elif isinstance(value, (list, tuple)):
        digest.update(f"{type(value).__name__} {len(value)};".encode())
        for item in value:
            _feed(digest, item)
    elif isinstance(value, float) and math.isnan(value):
        digest.update(b"float nan;")
    else:
        digest.update(f"{type(value).__name__} {value!r};".encode())


def read(directory: Path) -> dict[str, Any]:
    """The checkpoint of ``directory`` in today's format; a one-line RunDirectoryError otherwise."""
    source = path(directory)
    if not exists(directory):
        raise RunDirectoryError(f"{str(directory)!r} holds no checkpoint ({CHECKPOINT_DIR}/{LAST} is missing)")
    if not source.is_file():
        raise RunDirectoryError(f"{str(source)!r} is not a file; restore the checkpoint from a copy or train again")
    try:
        content = torch.load(source, map_location="cpu", weights_only=True)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [""])[0].split(". ")[0]  # torch's first sentence, not its advice
        raise RunDirectoryError(
            f"cannot read checkpoint {str(source)!r} (damaged or not a checkpoint): {type(exc).__name__}: {first}"
        ) from None
    if not isinstance(content, dict) or content.get("format") not in (1, FORMAT):
        raise RunDirectoryError(f"{str(source)!r} is not a ganframe checkpoint of format {FORMAT}")
    if CHECKSUM in content and content[CHECKSUM] != checksum(content):
        raise RunDirectoryError(
            f"checkpoint {str(source)!r} is damaged: its contents do not match its "
            "checksum; restore it from a copy or train again"
        )
    content.pop(CHECKSUM, None)
    if content["format"] == 1:
        try:
            return upgrade(content)
        except (KeyError, TypeError, ValueError) as exc:
            raise RunDirectoryError(
                f"{str(source)!r} is not a complete ganframe checkpoint of format 1: {type(exc).__name__}: {exc}"
            ) from None
    return content


def check_layout(content: Mapping[str, Any], source: str) -> None:
    """Every required key is there with the right type, or one line naming the first that is not."""
    for key, kind in REQUIRED.items():
        if key not in content:
            raise RunDirectoryError(f"{source} is incomplete: it has no {key!r}")
        value = content[key]
        if isinstance(value, bool) or not isinstance(value, kind):
            raise RunDirectoryError(f"{source} is damaged: {key!r} holds a {type(value).__name__}")
    for key in ("networks", "optimizers", "schedules"):
        for role, value in content[key].items():
            if not isinstance(value, Mapping):
                raise RunDirectoryError(f"{source} is damaged: {key}[{role!r}] holds a {type(value).__name__}")
    if set(content["optimizers"]) != set(content["networks"]) or set(content["schedules"]) != set(content["networks"]):
        raise RunDirectoryError(
            f"{source} is damaged: its networks, optimizers and schedules are not of the same roles"
        )
    for index, rng in enumerate(content["rng"]):
        if not isinstance(rng, Mapping) or not {"noise", "data", "torch"} <= set(rng):
            raise RunDirectoryError(f"{source} is damaged: the random states of process {index} are incomplete")


def upgrade(content: Mapping[str, Any]) -> dict[str, Any]:
    """A format-1 checkpoint (the two networks under fixed names) in format 2 (by role)."""
    roles = ("generator", "discriminator")
    old = dict(content)
    new: dict[str, Any] = {
        key: old.pop(key) for key in ("step", "seconds", "real_draws", "rng", "device_type", "epoch_log") if key in old
    }
    new["format"] = FORMAT
    new["networks"] = {role: old[role] for role in roles}
    new["optimizers"] = dict(zip(roles, (old["g_optimizer"], old["d_optimizer"])))
    new["schedules"] = dict(zip(roles, old["schedules"]))
    return new
