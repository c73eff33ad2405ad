"""What every benchmark script shares: parsing ``--seeds 0-4`` and running the ``ganframe`` command."""

from __future__ import annotations

import subprocess
import sys
import time


def seeds(text: str) -> list[int]:
    """``"0-4"`` → [0, 1, 2, 3, 4]; ``"3"`` → [3]."""
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def set_options(overrides: list[str]) -> list[str]:
    """``["a=1", "b=2"]`` → ``["--set", "a=1", "--set", "b=2"]`` for a ganframe command line."""
    return [item for override in overrides for item in ("--set", override)]


def ganframe(*args: str) -> tuple[float, str]:
    """Run ``python -m ganframe ARGS``; returns its wall time in seconds and its standard output."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "ganframe", *args], check=True, stdout=subprocess.PIPE, text=True)
    return time.perf_counter() - started, done.stdout
