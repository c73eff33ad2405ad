"""Signals that stop a command: Ctrl-C (SIGINT), SIGTERM (sent by ``timeout``, systemd, Kubernetes,
Slurm) and SIGHUP (the terminal went away) all mean "stop, and lose nothing".

While a run trains, the first of them asks the training loop to stop after the current round; the
loop then writes its checkpoint and report as usual, and the command exits with 128 + the signal's
number (130, 143, 129), so ``ganframe train --resume RUN`` continues it exactly. A second signal
aborts at once (the last checkpoint is kept). Outside training — while ganframe starts, loads a run,
evaluates or writes a report — a signal raises :class:`Terminated`, which the CLI turns into one
line and the same exit status.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from types import FrameType

#: The signals that stop a command, where the platform has them.
STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Terminated(KeyboardInterrupt):
    """A stop signal arrived where ganframe cannot finish the round first (a KeyboardInterrupt, so
    that code cleaning up after Ctrl-C cleans up after SIGTERM too)."""

    def __init__(self, signum: int, note: str = "") -> None:
        super().__init__(signal_name(signum))
        self.signum = signum
        self.note = note  # what to add to "interrupted (SIGTERM)": how to continue, when there is a way

    @property
    def exit_status(self) -> int:
        return exit_status(self.signum)


def exit_status(signum: int) -> int:
    """What a shell reports for a process ended by ``signum``: 128 + its number (SIGINT: 130)."""
    return 128 + int(signum)


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


Handler = Callable[[int, FrameType | None], None]


@contextlib.contextmanager
def handling(handler: Handler) -> Iterator[None]:
    """``handler`` for every stop signal inside the block; the previous handlers afterwards.

    A signal that is ignored stays ignored (``nohup`` ignores SIGHUP so that a run outlives its
    terminal). Outside the main thread (where Python cannot install handlers) this does nothing.
    """
    previous = {}
    try:
        for signum in STOP_SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                previous[signum] = signal.signal(signum, handler)
    except ValueError:  # not the main thread
        pass
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


_received: list[int] = []  # the stop signals this process's handlers have seen


def received() -> int | None:
    """The first stop signal a ganframe handler received in this process, or None. An error that
    follows it may be its doing: a signal inside an import of a C extension can come out as that
    import failing instead of as :class:`Terminated`, and the command should say "interrupted"."""
    return _received[0] if _received else None


def forget_received() -> None:
    """Start a command afresh: no stop signal received yet (``main`` may run several in one process)."""
    _received.clear()


def raise_terminated(signum: int, frame: FrameType | None) -> None:
    """The handler outside training: stop where we are."""
    _received.append(signum)
    raise Terminated(signum)


class RaiseOnce:
    """A handler that raises :class:`Terminated` at the first signal and ignores the ones after it,
    for work that must record its interruption without being interrupted again: a sweep's trial is
    marked failed in the study while Ctrl-C, sent to every process of the sweep, arrives once more
    from the sweep's own command. ``signum`` is the first signal received, or None."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
            _received.append(signum)
            raise Terminated(signum)


class StopAfterRound:
    """The handler while a run trains: the first signal asks ``request_stop()`` to end the loop after
    the round (when it returns False, training is over and the signal raises instead); a second one
    raises :class:`Terminated`. ``signum`` is the first signal received, or None."""

    def __init__(self, request_stop: Callable[[], bool]) -> None:
        self.request_stop = request_stop
        self.signum: int | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        _received.append(signum)
        if self.signum is not None or not self.request_stop():
            raise Terminated(signum)
        self.signum = signum
        sys.stderr.write(
            f"\nganframe: {signal_name(signum)}: stopping after this round and writing a checkpoint "
            "(send it again to abort)\n"
        )
