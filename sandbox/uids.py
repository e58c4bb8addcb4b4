"""Dedicated unprivileged uids for candidates, leased one per running candidate.

Why a uid per candidate: root ignores ``RLIMIT_NPROC`` and the limit counts every task of
a uid machine-wide, so it only bounds a fork or thread bomb when the candidate has a uid
of its own. The same uid lets the zygote find and kill anything the candidate left behind
(a double-forked daemon that called setsid escapes ``killpg``, not a sweep by uid).

Leases are ``flock``s on one file per uid, so several actmine processes on one machine
never share a uid; the kernel drops a lease when its holder dies.
"""

from __future__ import annotations

import fcntl
import logging
import os
import pwd
import queue
import select
import signal
import stat
import threading
import time
from dataclasses import dataclass

# "off" (or anything not a number) turns the uid drop off, for hosts where no free range
# exists (rootless containers map few uids); the loss is announced like any missing layer.
_SETTING = os.environ.get("ACTMINE_SANDBOX_UID_BASE", "60100").strip()
UID_BASE = int(_SETTING) if _SETTING.isdigit() else -1
SLOTS = 64
LOCK_DIRS = ("/run/actmine-sandbox", "/tmp/actmine-sandbox-locks")


@dataclass(frozen=True)
class Availability:
    ok: bool
    detail: str


def availability() -> Availability:
    """Can this process hand out dedicated uids? (root, a free uid range, a lock dir)"""
    if UID_BASE < 0:
        return Availability(False, f"turned off by ACTMINE_SANDBOX_UID_BASE={_SETTING!r}")
    if os.geteuid() != 0:
        return Availability(False, "not running as root, so candidates keep your uid "
                                   "(RLIMIT_NPROC and the sweep by uid are off)")
    for uid in range(UID_BASE, UID_BASE + SLOTS):
        try:
            user = pwd.getpwuid(uid).pw_name
        except KeyError:
            continue
        return Availability(False, f"uid {uid} belongs to user {user!r}; set "
                                   f"ACTMINE_SANDBOX_UID_BASE to a free range of {SLOTS}")
    if _lock_dir() is None:
        return Availability(False, f"no private lock directory ({' or '.join(LOCK_DIRS)})")
    return Availability(True, f"uids {UID_BASE}-{UID_BASE + SLOTS - 1}")


def _lock_dir() -> str | None:
    for path in LOCK_DIRS:
        try:
            os.makedirs(path, mode=0o700, exist_ok=True)
            info = os.lstat(path)
        except OSError:
            continue
        # Refuse a directory someone else made (or a symlink): they could hold our leases.
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() \
                and not info.st_mode & 0o022:
            return path
    return None


class Lease:
    def __init__(self, uid: int, fd: int):
        self.uid = uid
        self._fd = fd

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing drops the flock
            self._fd = -1


class UidPool:
    """Thread-safe; acquire() blocks while every uid is leased (by us or another process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 0

    def acquire(self, timeout: float = 60.0) -> Lease:
        directory = _lock_dir()
        if directory is None:
            raise OSError("no private lock directory for sandbox uids")
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                start, self._next = self._next, (self._next + 1) % SLOTS
            for i in range(SLOTS):
                uid = UID_BASE + (start + i) % SLOTS
                fd = os.open(os.path.join(directory, f"uid-{uid}.lock"),
                             os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                return Lease(uid, fd)
            if time.monotonic() > deadline:
                raise TimeoutError(f"all {SLOTS} sandbox uids are busy")
            time.sleep(0.05)


def processes_of(uid: int, zombies: bool = False) -> list[int]:
    """Processes whose real or effective uid is ``uid`` (live ones, plus zombies if asked)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as fh:
                status = fh.read(2048)
        except OSError:
            continue  # exited meanwhile
        state = uid_line = b""
        for line in status.splitlines():
            if line.startswith(b"State:"):
                state = line
            elif line.startswith(b"Uid:"):
                uid_line = line
                break
        ids = uid_line.split()[1:3]
        if str(uid).encode() in ids and (zombies or b"Z" not in state.split()[1:2]):
            found.append(int(name))
    return found


def is_sandbox_uid(uid: int) -> bool:
    return UID_BASE >= 0 and UID_BASE <= uid < UID_BASE + SLOTS


def sweep(uid: int, rounds: int = 50, exclude: int | None = None) -> int:
    """SIGKILL every process of ``uid`` until none is left; return how many there were,
    not counting ``exclude`` (the candidate itself, killed already and maybe still exiting).

    Killed processes cannot fork any more, so a few rounds always suffice; the rounds cap
    only guards against a process in uninterruptible sleep."""
    if not is_sandbox_uid(uid):
        raise ValueError(f"uid {uid} is not a sandbox uid; refusing to kill its processes")
    killed: set[int] = set()
    for _ in range(rounds):
        alive = processes_of(uid)
        if not alive:
            break
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except ProcessLookupError:
                pass
        time.sleep(0.01)
    return len(killed - {exclude})


class Reclaimer:
    """Gives a uid back once everything its candidate left behind is gone: the candidate's
    exit (tearing down a torch-sized address space takes tens of ms) and the last sweep
    happen here, on a background thread, not between a candidate and its verdict."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Lease, int | None]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def hand_over(self, lease: Lease, pidfd: int | None) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="actmine-reclaimer",
                                                daemon=True)
                self._thread.start()
        self._queue.put((lease, pidfd))

    def _loop(self) -> None:
        while True:
            lease, pidfd = self._queue.get()
            try:
                self._reclaim(lease.uid, pidfd)
            except Exception:  # noqa: BLE001 - never lose a lease to a scan error
                logging.getLogger("actmine.sandbox").exception("reclaiming uid %s", lease.uid)
            finally:
                if pidfd is not None:
                    os.close(pidfd)
                lease.release()
                self._queue.task_done()

    @staticmethod
    def _reclaim(uid: int, pidfd: int | None, timeout: float = 10.0) -> None:
        if pidfd is not None:
            select.select([pidfd], [], [], timeout)  # readable once the candidate has exited
        late = sweep(uid)
        if late:
            logging.getLogger("actmine.sandbox").warning(
                "a candidate left %d process(es) behind although it could not fork; killed "
                "them (uid %d)", late, uid)
        # Zombies still count against RLIMIT_NPROC: wait (briefly) for the zygote to reap
        # them; if the zygote died they belong to init, and only the lease can move on.
        deadline = time.monotonic() + 2.0
        while processes_of(uid, zombies=True) and time.monotonic() < deadline:
            time.sleep(0.02)


def pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when ``pid`` exits (None if it is gone already)."""
    try:
        return os.pidfd_open(pid)
    except (ProcessLookupError, OSError, AttributeError):
        return None
