"""What every benchmark script shares: parsing ``--seeds 0-4``, running the ``ganframe`` command, and
naming the machine's CPU, and where the real MNIST is."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path


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


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), for the machine line of a benchmark's report."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


#: The real MNIST beside the repository (``../shared/data/mnist``), where the benchmarks look when
#: ``GANFRAME_MNIST_DIR`` is not set.
SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def mnist_dir() -> Path:
    """Where the benchmarks read MNIST from: ``GANFRAME_MNIST_DIR``, else :data:`SHARED_MNIST` (which
    may be absent: the caller decides what to leave out)."""
    return Path(os.environ.get("GANFRAME_MNIST_DIR") or SHARED_MNIST)
