"""A running search's presence in its run directory.

    DIR/search.lock   held (flock) by the one process searching this directory
    DIR/live.json     what is in flight now, refreshed every second; read by ``status``

The lock makes a second daemon on the same directory a clear error rather than two
writers racing for the same program ids. The kernel drops the lock when the process dies,
so a killed run never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path

from .errors import UserFacingError

LIVE_FILE = "live.json"
LOCK_FILE = "search.lock"


class RunBusy(UserFacingError):
    """Another process is searching this run directory (one line)."""


class RunLock:
    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise RunBusy(f"{self.path.parent} is being searched by pid {holder}; stop it "
                          f"first or choose another --run-dir") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def write_live(run_dir: Path, state: dict) -> None:
    path = Path(run_dir) / LIVE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), "updated": time.time(), **state},
                              sort_keys=True))
    os.replace(tmp, path)


def read_live(run_dir: Path) -> dict | None:
    """The live state if a search holds the directory now, else None."""
    if not is_locked(run_dir):
        return None
    with contextlib.suppress(OSError, ValueError):
        return json.loads((Path(run_dir) / LIVE_FILE).read_text())
    return {}


def is_locked(run_dir: Path) -> bool:
    path = Path(run_dir) / LOCK_FILE
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
