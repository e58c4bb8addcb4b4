"""Trusted side of the OS sandbox: owns the zygote, enforces deadlines, reads capped JSON.

Blocking and thread-safe: the async orchestrator calls it from worker threads behind a
capacity limiter (waiting on a pipe is I/O, so threads are the right tool; a process per
candidate is created by the zygote, not here).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from . import uids
from .reasons import Category, Rejection

RESULT_CAP = 256 * 1024
ZYGOTE_START_TIMEOUT = 120.0


@dataclass(frozen=True)
class SandboxLimits:
    wall_seconds: float = 10.0
    cpu_seconds: int = 10
    address_space_bytes: int = 4 * 1024**3
    max_nodes: int = 64
    max_processes: int = 8  # RLIMIT_NPROC for the candidate's own uid (tasks, threads too)


# Layers a caller may switch off for one run. Only tests do this, to show that each deeper
# layer holds on its own when the ones in front of it are gone.
OPTIONAL_LAYERS = frozenset({"audit_hook", "seccomp", "landlock", "network_namespace",
                             "uid_drop"})


class ZygoteError(RuntimeError):
    pass


class Zygote:
    """One pre-imported torch process that forks sandboxed children on request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self.report: dict[str, dict] = {}  # layer -> {"ok": bool, "detail": str}
        self._uids = uids.UidPool()
        self._reclaimer = uids.Reclaimer()

    @property
    def protections(self) -> dict[str, bool]:
        return {name: bool(layer.get("ok")) for name, layer in self.report.items()}

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        with self._lock:
            self._start_locked()

    def _start_locked(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # The probe child drops to a real sandbox uid, so it needs a lease like any candidate.
        lease = self._uids.acquire() if uids.availability().ok else None
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "actmine.sandbox.zygote", str(child.fileno()),
                 str(lease.uid) if lease else "-"],
                pass_fds=(child.fileno(),), env=scrubbed_env(), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=None, start_new_session=True, close_fds=True,
            )
            child.close()
            parent.settimeout(ZYGOTE_START_TIMEOUT)
            try:
                hello = json.loads(parent.recv(65536) or b"{}")
            except (OSError, ValueError) as exc:
                self._abandon()
                raise ZygoteError(f"sandbox zygote did not start: {exc}") from None
        finally:
            if lease is not None:
                lease.release()
        if not isinstance(hello, dict) or not hello.get("ready"):
            self._abandon()
            raise ZygoteError("sandbox zygote did not start (is torch installed?)")
        parent.settimeout(30.0)
        self._sock = parent
        self.report = hello.get("protections", {})
        warn_missing_once(self.report)

    def _abandon(self) -> None:
        """Forget a zygote that failed to start, so the next call starts a fresh one."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None

    def close(self) -> None:
        with self._lock:
            if self._sock is not None:
                self._sock.close()
                self._sock = None
            if self._proc is not None:
                try:
                    os.killpg(self._proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self._proc.wait()
                self._proc = None

    def _call(self, message: dict, fds: list[int] | None = None) -> dict:
        with self._lock:
            for attempt in (0, 1):
                self._start_locked()
                if self._sock is None:
                    raise ZygoteError("sandbox zygote is not running")
                try:
                    if fds:
                        socket.send_fds(self._sock, [json.dumps(message).encode()], fds)
                    else:
                        self._sock.send(json.dumps(message).encode())
                    reply = self._sock.recv(65536)
                    if not reply:
                        raise OSError("zygote closed the connection")
                    return json.loads(reply)
                except OSError:
                    # The zygote died (or was killed); restart it once and retry.
                    self._sock.close()
                    self._sock = None
                    if self._proc is not None:
                        self._proc.kill()
                        self._proc.wait()
                    self._proc = None
                    if attempt:
                        raise ZygoteError("sandbox zygote keeps dying") from None
        raise AssertionError("unreachable")

    # ------------------------------------------------------------ candidate
    def run(self, request: dict, limits: SandboxLimits,
            without: Iterable[str] = ()) -> dict:
        """Run one candidate; return its JSON result or raise Rejection."""
        self.start()
        try:
            lease = self._uids.acquire() if self.protections.get("uid_drop") else None
        except OSError as exc:  # TimeoutError included: every sandbox uid busy for a minute
            raise ZygoteError(f"no sandbox uid free: {exc}") from None
        handle: int | None = None
        try:
            message = spawn_message(request, limits, self.protections, lease, without)
            read_fd, write_fd = os.pipe()
            try:
                reply = self._call(message, [write_fd])
            except BaseException:
                os.close(read_fd)
                raise
            finally:
                os.close(write_fd)
            pid = reply.get("pid")
            if not isinstance(pid, int):
                os.close(read_fd)
                raise ZygoteError(f"zygote refused the candidate: {reply}")
            handle = uids.pidfd(pid)
            started = time.monotonic()
            try:
                data, outcome = _read_capped(read_fd, started + limits.wall_seconds)
            finally:
                os.close(read_fd)
                _kill_group(pid)
            # Without a result we need the exit status (waiting for the exit); a candidate
            # that could fork (no seccomp) is swept for leftovers before its verdict.
            failed = outcome != "ok"
            reaped = self._call({"op": "reap", "pid": pid, "uid": message.get("uid"),
                                 "wait": failed, "sweep": failed or not message["seccomp"]})
        finally:
            if lease is not None:
                self._reclaimer.hand_over(lease, handle)
            elif handle is not None:
                os.close(handle)
        return interpret(data, outcome, reaped.get("status", -1), reaped.get("survivors", 0),
                         time.monotonic() - started, message["nonce"], limits)


def spawn_message(request: dict, limits: SandboxLimits, available: dict[str, bool],
                  lease: uids.Lease | None, without: Iterable[str] = ()) -> dict:
    """The request a child hardens itself from: every available layer, minus ``without``."""
    without = set(without)
    unknown = without - OPTIONAL_LAYERS
    if unknown:
        raise ValueError(f"unknown sandbox layers: {sorted(unknown)}")

    def on(layer: str) -> bool:
        return bool(available.get(layer)) and layer not in without

    return dict(request, op="spawn", nonce=secrets.token_hex(16),
                cpu_seconds=limits.cpu_seconds, address_space_bytes=limits.address_space_bytes,
                max_nodes=limits.max_nodes, max_processes=limits.max_processes,
                network_namespace=on("network_namespace"), seccomp=on("seccomp"),
                landlock=on("landlock"), audit_hook="audit_hook" not in without,
                uid=lease.uid if lease is not None and "uid_drop" not in without else None)


def interpret(data: bytes, outcome: str, status: int, survivors: int, elapsed: float,
              nonce: str, limits: SandboxLimits) -> dict:
    """Turn what came back from a candidate process into its result or a Rejection."""
    if outcome == "timeout":
        raise Rejection(Category.TIMEOUT,
                        f"did not finish within {limits.wall_seconds:g} s; avoid loops and "
                        f"huge tensors")
    if outcome == "overflow":  # the child caps its own results, so this one was forged
        raise Rejection(Category.ESCAPE, "wrote an oversized message to the sandbox's result "
                                         "channel; do not touch file descriptors")
    if survivors:
        raise Rejection(Category.ESCAPE,
                        f"left {survivors} process(es) running after it returned; activation "
                        f"functions must not start processes")
    result = _decode(data, nonce)
    if result is None and outcome == "ok":
        raise Rejection(Category.ESCAPE, "wrote a forged or malformed result to the sandbox's "
                                         "result channel; do not touch file descriptors")
    if result is None:
        raise Rejection(*_explain_death(status, elapsed, limits))
    return result


def _read_capped(fd: int, deadline: float) -> tuple[bytes, str]:
    """Read one length-prefixed result (8-byte big-endian size, then JSON) from fd.

    Outcomes: "ok" (a whole frame), "eof" (the writer vanished first), "timeout",
    "overflow" (the announced or received size is over RESULT_CAP)."""
    buffer = bytearray()
    needed = 8
    while len(buffer) < needed:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"", "timeout"
        ready, _, _ = select.select([fd], [], [], min(remaining, 1.0))
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"", "eof"
        buffer += chunk
        if needed == 8 and len(buffer) >= 8:
            needed = 8 + int.from_bytes(buffer[:8], "big")
            if needed > 8 + RESULT_CAP:
                return b"", "overflow"
    return bytes(buffer[8:needed]), "ok"


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _decode(data: bytes, nonce: str) -> dict | None:
    if not data:
        return None
    try:
        result = json.loads(data)
    except (ValueError, RecursionError):  # deeply nested JSON raises RecursionError
        return None
    if not isinstance(result, dict) or result.get("nonce") != nonce:
        return None
    return result


def _explain_death(status: int, elapsed: float, limits: SandboxLimits) -> tuple[Category, str]:
    if status != -1 and os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return Category.TIMEOUT, f"used more than {limits.cpu_seconds} s of CPU"
        if sig == signal.SIGSYS:  # seccomp kills on sockets, new processes and tracing
            return Category.ESCAPE, ("made a system call the sandbox forbids (network, new "
                                     "processes or tracing); activation functions may only "
                                     "compute on x")
        if sig == signal.SIGSEGV:
            return Category.CRASHED, "crashed with a segmentation fault (deep recursion?)"
        if sig == signal.SIGKILL and elapsed >= limits.wall_seconds * 0.9:
            return Category.TIMEOUT, f"did not finish within {limits.wall_seconds:g} s"
        return Category.CRASHED, f"the process died from signal {signal.Signals(sig).name}"
    if status != -1 and os.WIFEXITED(status):
        return Category.ESCAPE, (f"exited early with code {os.WEXITSTATUS(status)} without a "
                                 f"result; do not exit or print results yourself")
    return Category.CRASHED, "the process died without a result"


def scrubbed_env() -> dict[str, str]:
    keep = {"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
            "LANG": "C.UTF-8", "HOME": "/nonexistent"}
    if "ACTMINE_SANDBOX_UID_BASE" in os.environ:  # the zygote must sweep the same range
        keep["ACTMINE_SANDBOX_UID_BASE"] = os.environ["ACTMINE_SANDBOX_UID_BASE"]
    # Keep a source checkout importable when running from the repository without install.
    if "PYTHONPATH" in os.environ and os.environ.get("ACTMINE_KEEP_PYTHONPATH"):
        keep["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return keep


_warned = False


def warn_missing_once(report: dict[str, dict]) -> None:
    """Say loudly, once per process, which protections this machine lacks."""
    global _warned
    missing = {name: layer.get("detail", "") for name, layer in report.items()
               if not layer.get("ok")}
    if _warned or not missing:
        return
    _warned = True
    details = "; ".join(f"{name}: {detail}" for name, detail in missing.items())
    logging.getLogger("actmine.sandbox").warning(
        "SANDBOX PROTECTION MISSING, candidates run with the remaining layers only: %s "
        "(run `actmine doctor` for the full list)", details)


_shared: Zygote | None = None
_shared_lock = threading.Lock()


def shared_zygote() -> Zygote:
    """The process-wide zygote, started on first use and killed at exit."""
    global _shared
    with _shared_lock:
        if _shared is None:
            import atexit

            _shared = Zygote()
            atexit.register(_shared.close)
        return _shared
