"""Checkpoints: models, optimisers, training position and every random state, in one file.

A checkpoint lets a run continue exactly where it stopped: resuming gives the same result, bit for
bit on CPU, as never stopping. It is written atomically (to a temporary file, then renamed), so an
interrupted write never leaves a truncated checkpoint behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from . import distributed
from .errors import RunDirectoryError

if TYPE_CHECKING:
    from .experiment import Experiment

CHECKPOINT_DIR = "checkpoints"
LAST = "last.pt"
FORMAT = 1


def path(directory: Path) -> Path:
    return directory / CHECKPOINT_DIR / LAST


def state(experiment: Experiment) -> dict[str, Any]:
    """This process's checkpoint content (random states of every process are gathered)."""
    trainer = experiment.trainer
    rng = {
        "noise": experiment.noise_generator.get_state(),
        "data": experiment.data_generator.get_state(),
        "torch": torch.get_rng_state(),
    }
    if experiment.device.type == "cuda":  # dropout, instance noise... on the GPU draw from its generator
        rng["cuda"] = torch.cuda.get_rng_state(experiment.device)
    return {
        "format": FORMAT,
        "step": experiment.step,
        "seconds": experiment.seconds,
        "real_draws": trainer.real_draws,
        "generator": experiment.generator.state_dict(),
        "discriminator": experiment.discriminator.state_dict(),
        "g_optimizer": experiment.g_optimizer.state_dict(),
        "d_optimizer": experiment.d_optimizer.state_dict(),
        "schedules": [schedule.state_dict() for schedule in experiment.schedules],
        "epoch_log": experiment.epoch_log.state_dict(),
        "rng": distributed.gather_objects(rng, experiment.distributed),
        "device_type": experiment.device.type,
    }


def save(directory: Path, experiment: Experiment) -> Path:
    """Write the checkpoint (main process only; every process must call this)."""
    content = state(experiment)
    target = path(directory)
    if experiment.distributed.is_main:
        write_atomically(target, lambda handle: torch.save(content, handle))
    distributed.barrier(experiment.distributed)
    return target


def write_atomically(target: Path, write: Any) -> None:
    """Call ``write(handle)`` on a temporary file beside ``target``, then rename it into place."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    except OSError as exc:
        raise RunDirectoryError(f"cannot write {str(target)!r}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
        os.chmod(temporary, 0o666 & ~_umask())  # as an ordinary file would be, not mkstemp's 0600
        os.replace(temporary, target)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise RunDirectoryError(f"cannot write {str(target)!r}: {exc.strerror or exc}") from None
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def load(directory: Path, experiment: Experiment) -> None:
    """Restore ``experiment`` from the checkpoint in ``directory``."""
    source = path(directory)
    if not source.is_file():
        raise RunDirectoryError(f"{str(directory)!r} holds no checkpoint ({CHECKPOINT_DIR}/{LAST} is missing)")
    try:
        content = torch.load(source, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise RunDirectoryError(f"cannot read checkpoint {str(source)!r}: {type(exc).__name__}: {exc}") from None
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise RunDirectoryError(f"{str(source)!r} is not a ganframe checkpoint of format {FORMAT}")
    world = experiment.distributed
    if len(content["rng"]) != world.world_size:
        raise RunDirectoryError(
            f"the checkpoint was written by {len(content['rng'])} process(es); resume it with the same number"
        )
    try:
        experiment.generator.load_state_dict(content["generator"])
        experiment.discriminator.load_state_dict(content["discriminator"])
        experiment.g_optimizer.load_state_dict(content["g_optimizer"])
        experiment.d_optimizer.load_state_dict(content["d_optimizer"])
        for schedule, saved in zip(experiment.schedules, content["schedules"]):
            schedule.load_state_dict(saved)
    except (RuntimeError, ValueError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise RunDirectoryError(
            f"the checkpoint in {str(directory)!r} does not fit the networks its config builds: {first}"
        ) from None
    rng = content["rng"][world.rank]
    if content.get("device_type") == experiment.device.type:
        experiment.noise_generator.set_state(rng["noise"])
        experiment.data_generator.set_state(rng["data"])
        if "cuda" in rng:
            torch.cuda.set_rng_state(rng["cuda"], experiment.device)
    # else: generator states of one device type do not fit another; training continues from the
    # checkpoint with freshly seeded noise and data streams (results cannot match across devices).
    torch.set_rng_state(rng["torch"])
    experiment.step = int(content["step"])
    experiment.seconds = float(content["seconds"])
    experiment.trainer.real_draws = int(content["real_draws"])
    if "epoch_log" in content:  # absent from checkpoints written before per-epoch logs existed
        experiment.epoch_log.load_state_dict(content["epoch_log"])
