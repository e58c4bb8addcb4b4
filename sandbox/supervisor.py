"""Trusted side of the OS sandbox: owns the zygote, enforces deadlines, reads capped JSON.

Blocking and thread-safe: the async orchestrator calls it from worker threads behind a
capacity limiter (waiting on a pipe is I/O, so threads are the right tool; a process per
candidate is created by the zygote, not here).
"""

from __future__ import annotations

import json
import os
import secrets
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from .reasons import Category, Rejection

RESULT_CAP = 256 * 1024
ZYGOTE_START_TIMEOUT = 120.0


@dataclass(frozen=True)
class SandboxLimits:
    wall_seconds: float = 10.0
    cpu_seconds: int = 10
    address_space_bytes: int = 4 * 1024**3
    max_nodes: int = 64


class ZygoteError(RuntimeError):
    pass


class Zygote:
    """One pre-imported torch process that forks sandboxed children on request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self.protections: dict[str, bool] = {}

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        with self._lock:
            self._start_locked()

    def _start_locked(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = scrubbed_env()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "actmine.sandbox.zygote", str(child.fileno())],
            pass_fds=(child.fileno(),), env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=None, start_new_session=True, close_fds=True,
        )
        child.close()
        parent.settimeout(ZYGOTE_START_TIMEOUT)
        try:
            hello = json.loads(parent.recv(65536) or b"{}")
        except (OSError, ValueError) as exc:
            self._proc.kill()
            raise ZygoteError(f"sandbox zygote did not start: {exc}") from None
        if not hello.get("ready"):
            self._proc.kill()
            raise ZygoteError("sandbox zygote did not start (is torch installed?)")
        parent.settimeout(30.0)
        self._sock = parent
        self.protections = hello.get("protections", {})

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
                assert self._sock is not None
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
    def run(self, request: dict, limits: SandboxLimits) -> dict:
        """Run one candidate; return its JSON result or raise Rejection."""
        nonce = secrets.token_hex(16)
        message = dict(request, op="spawn", nonce=nonce, cpu_seconds=limits.cpu_seconds,
                       address_space_bytes=limits.address_space_bytes,
                       max_nodes=limits.max_nodes,
                       network_namespace=self.protections.get("network_namespace", False),
                       seccomp=self.protections.get("seccomp", False))
        read_fd, write_fd = os.pipe()
        try:
            reply = self._call(message, [write_fd])
        finally:
            os.close(write_fd)
        pid = reply.get("pid")
        if not isinstance(pid, int):
            os.close(read_fd)
            raise ZygoteError(f"zygote refused the candidate: {reply}")
        started = time.monotonic()
        try:
            data, outcome = _read_capped(read_fd, started + limits.wall_seconds)
        finally:
            os.close(read_fd)
            _kill_group(pid)
        status = self._call({"op": "reap", "pid": pid}).get("status", -1)
        elapsed = time.monotonic() - started
        if outcome == "timeout":
            raise Rejection(Category.TIMEOUT,
                            f"did not finish within {limits.wall_seconds:g} s; avoid loops and "
                            f"huge tensors")
        if outcome == "overflow":
            raise Rejection(Category.CRASHED, "produced an oversized result")
        result = _decode(data, nonce)
        if result is None:
            raise Rejection(*_explain_death(status, elapsed, limits))
        return result


def _read_capped(fd: int, deadline: float) -> tuple[bytes, str]:
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"".join(chunks), "timeout"
        ready, _, _ = select.select([fd], [], [], min(remaining, 1.0))
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks), "eof"
        size += len(chunk)
        if size > RESULT_CAP:
            return b"", "overflow"
        chunks.append(chunk)


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
    except ValueError:
        return None
    if not isinstance(result, dict) or result.get("nonce") != nonce:
        return None
    return result


def _explain_death(status: int, elapsed: float, limits: SandboxLimits) -> tuple[Category, str]:
    if status != -1 and os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return Category.TIMEOUT, f"used more than {limits.cpu_seconds} s of CPU"
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
    # Keep a source checkout importable when running from the repository without install.
    if "PYTHONPATH" in os.environ and os.environ.get("ACTMINE_KEEP_PYTHONPATH"):
        keep["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return keep


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
