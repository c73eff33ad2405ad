"""Every error ganframe raises on purpose.

Each is a subclass of :class:`GanframeError`, whose message is one line that says what went wrong
and what to do; the CLI prints that line and exits with status 2 instead of showing a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class GanframeError(Exception):
    """Base class of ganframe's own errors: the message is meant for the user, as one line."""


class ConfigError(GanframeError, ValueError):
    """A configuration value is missing, of the wrong type, or out of range."""


class UnknownNameError(GanframeError, LookupError):
    """A component, setup or preset name that nobody registered."""

    def __init__(self, kind: str, name: str, available: Iterable[str]):
        self.kind, self.name = kind, name
        self.available = sorted(available)
        super().__init__(f"unknown {kind} {name!r}; {describe_choices(name, self.available)}")

    def __str__(self) -> str:  # LookupError would quote the message; keep it plain
        return self.args[0]


class DuplicateNameError(GanframeError):
    """Two plugins registered the same component name for the same kind."""


class PluginError(GanframeError):
    """A plugin failed to import, to register, or raised inside one of its hooks."""


class RunDirectoryError(GanframeError):
    """A run directory is missing, incomplete, or cannot be written."""


class DivergedError(GanframeError):
    """Training diverged: a loss or a network's weights stopped being finite numbers.

    The CLI exits with status 3; the run's last good checkpoint is kept.
    """


def closest_match(name: str, choices: Iterable[str]) -> str | None:
    """The choice most similar to ``name``, or None when nothing is close."""
    matches = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return matches[0] if matches else None


def describe_choices(name: str, choices: list[str]) -> str:
    """'did you mean X? available: a, b, c' — the tail of an unknown-name message."""
    if not choices:
        return "none are available (is the plugin that provides it installed and enabled?)"
    guess = closest_match(name, choices)
    hint = f"did you mean {guess!r}? " if guess else ""
    return f"{hint}available: {', '.join(choices)}"
