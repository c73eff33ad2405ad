"""One writer per run directory: ``RUN_DIR/.lock``, held while a fit writes the run.

Two ``ganframe train --resume RUN`` at once, or a resume while the run still trains, would write
the same ``metrics.jsonl`` and checkpoint in turns. The first to take the lock writes; the other is
told, in one line, which process holds it. The lock is an OS file lock (``flock``) on ``.lock``,
which also holds the owner's pid and host for that message: when a process is killed, the operating
system drops its lock, so a stale ``.lock`` file left behind is simply taken over.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from pathlib import Path

from .errors import RunDirectoryError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the pid in the file decides instead
    fcntl = None  # type: ignore[assignment]

LOCK = ".lock"
log = logging.getLogger("ganframe")


class RunLock:
    """The lock of one run directory (``acquire`` / ``release``, or ``with RunLock(dir):``)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.path = self.directory / LOCK
        self._descriptor: int | None = None

    @property
    def held(self) -> bool:
        return self._descriptor is not None

    def acquire(self) -> None:
        """Take the lock, or raise a one-line RunDirectoryError naming the process that holds it."""
        if self.held:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            while True:
                descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                if not self._lock(descriptor):
                    owner = _read_owner(descriptor)
                    os.close(descriptor)
                    raise RunDirectoryError(
                        f"{str(self.directory)!r} is in use by another ganframe process ({owner}); "
                        "wait for it to finish, or stop it (it checkpoints when stopped) and try again"
                    )
                if _same_file(descriptor, self.path):
                    break
                os.close(descriptor)  # the holder released and removed it meanwhile: try the new file
            previous = _read_owner(descriptor)
            if previous != "unknown":
                log.info("took over the stale lock of %s in %s", previous, self.directory)
            os.ftruncate(descriptor, 0)
            os.write(
                descriptor,
                f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode(),
            )
        except OSError as exc:
            raise RunDirectoryError(f"cannot write {str(self.path)!r}: {exc.strerror or exc}") from None
        self._descriptor = descriptor

    def _lock(self, descriptor: int) -> bool:
        if fcntl is not None:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                return False
        pid = _owner_pid(descriptor)  # pragma: no cover - without flock: is the recorded owner alive?
        return pid is None or pid == os.getpid() or not _alive(pid)  # pragma: no cover

    def release(self) -> None:
        """Give the lock up (and remove ``.lock``); nothing when it is not held."""
        if self._descriptor is None:
            return
        try:
            self.path.unlink(missing_ok=True)  # while still holding it: see the retry in acquire
        except OSError:
            pass
        os.close(self._descriptor)
        self._descriptor = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_owner(descriptor: int) -> str:
    try:
        text = os.pread(descriptor, 200, 0).decode(errors="replace").strip()
    except OSError:
        text = ""
    return text or "unknown"


def _owner_pid(descriptor: int) -> int | None:  # pragma: no cover - Windows only
    parts = _read_owner(descriptor).split()
    return int(parts[1]) if len(parts) > 1 and parts[0] == "pid" and parts[1].isdigit() else None


def _alive(pid: int) -> bool:  # pragma: no cover - Windows only
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _same_file(descriptor: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(descriptor), os.stat(path))
    except FileNotFoundError:
        return False
