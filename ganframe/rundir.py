"""What a run directory holds and how its files are written: atomically, never half.

    RUN_DIR/
      config.toml          the fully resolved configuration (Experiment.load reads it)
      metrics.jsonl        one JSON object per line: logged values, metrics, per-epoch means
      checkpoints/last.pt  networks, optimisers, training position and random states
      report.json          final metrics, steps, time, device and versions
      report.html          the same, with the figures and the config, in one page
      plots/               figures
      tensorboard/         TensorBoard event files

The writers of these files are lifecycle plugins (``ganframe.runs``, ``ganframe.plots``,
``ganframe.html_report``, ``ganframe.tensorboard``); this module is what they and
``Experiment.save``/``load`` share.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from .config import read_toml
from .errors import ConfigError, RunDirectoryError

CONFIG = "config.toml"
METRICS = "metrics.jsonl"
REPORT = "report.json"


def write_atomically(target: Path, write: Callable[[BinaryIO], Any]) -> None:
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


#: What :func:`write_atomically` names its temporary files: ``.TARGET.`` and mkstemp's 8 characters.
_TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}$")
#: Where a run's writers write atomically.
_WRITTEN_FOLDERS = (".", "checkpoints", "plots")


def remove_orphans(directory: Path) -> list[Path]:
    """Remove the temporary files that writers killed mid-write left in a run directory (call it
    while holding the run's lock, so that no live writer's file goes); the paths removed."""
    removed = []
    for folder in _WRITTEN_FOLDERS:
        try:
            candidates = list((directory / folder).iterdir())
        except OSError:
            continue
        for candidate in candidates:
            if _TEMPORARY.match(candidate.name) and candidate.is_file():
                candidate.unlink(missing_ok=True)
                removed.append(candidate)
    return removed


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def json_number(value: float) -> float | str:
    """JSON has no NaN or infinity: write those as strings rather than invalid JSON."""
    return value if math.isfinite(value) else str(value)


def read_number(value: Any) -> float:
    """A value as written by :func:`json_number` (or missing) back as a float: NaN for what is not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def write_json(target: Path, content: Any) -> None:
    text = (json.dumps(content, indent=2, sort_keys=False) + "\n").encode()
    write_atomically(target, lambda handle: handle.write(text))


def write_config(directory: Path, config_toml: str) -> None:
    text = config_toml.encode()
    write_atomically(directory / CONFIG, lambda handle: handle.write(text))


def read_config(directory: Path) -> dict[str, Any]:
    """The raw config dict of a run directory, with clear errors for what is not a run."""
    if not directory.exists():
        raise RunDirectoryError(f"run directory {str(directory)!r} does not exist")
    if not directory.is_dir():
        raise RunDirectoryError(f"{str(directory)!r} is not a directory")
    if not (directory / CONFIG).is_file():
        raise RunDirectoryError(f"{str(directory)!r} is not a ganframe run: it has no {CONFIG}")
    try:
        return upgrade_config(read_toml(directory / CONFIG), directory / CONFIG)
    except ConfigError as exc:
        raise RunDirectoryError(str(exc)) from None


#: Options of ganframe's own components that ganframe 0.1 wrote into every config.toml and that
#: are gone (they served single tutorials and moved to their plugins): (section, the component it
#: names or None for a plain section) → option → the value that meant "off". A run that had them
#: off loads as before; one that used them cannot.
REMOVED_OPTIONS: dict[tuple[str, str | None], dict[str, Any]] = {
    ("train", None): {"d_accuracy": False},
    ("discriminator", "mlp"): {"batch_input": "none"},
    ("strategy", "alternating"): {"reuse_fake": False},
}


def upgrade_config(raw: Mapping[str, Any], source: Path) -> dict[str, Any]:
    """A config written by ganframe 0.1, in today's form: removed options that were off are dropped;
    one that was on is a one-line error naming it."""
    out = dict(raw)
    for (section, component), options in REMOVED_OPTIONS.items():
        table = out.get(section)
        if not isinstance(table, Mapping) or (component is not None and table.get("name") != component):
            continue
        table = dict(table)
        for option, off in options.items():
            if option in table:
                value = table.pop(option)
                if value != off:
                    raise ConfigError(
                        f"{str(source)!r} was written by ganframe 0.1 with {section}.{option} = {value!r}, an option "
                        "that moved out of ganframe into the plugin that needed it; see CHANGELOG.md (0.2.0)"
                    )
        out[section] = table
    return out
