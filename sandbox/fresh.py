"""The slow path the zygote replaces: one fresh ``python -c`` per candidate that imports
torch, warms up tracing exactly like the zygote, and then runs the same child code with the
same layers. Only ``actmine bench admission`` uses it, to measure the zygote's advantage
side by side; it has the same interface as ``Zygote.run``, so ``admit`` accepts either.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable

from . import uids
from .supervisor import (
    SandboxLimits,
    _kill_group,
    _read_capped,
    interpret,
    scrubbed_env,
    spawn_message,
)

# Importing torch and the first make_fx take seconds; the candidate's own deadline starts
# after that, as it does for a zygote child.
STARTUP_ALLOWANCE = 120.0
BOOT = (
    "import json, os, sys\n"
    "from actmine.sandbox import child, zygote\n"
    "zygote.warm_up()\n"
    "request = json.loads(sys.stdin.readline())\n"
    "child.run(request, int(sys.argv[1]), int(sys.argv[2]))\n"
)


class FreshInterpreter:
    def __init__(self, protections: dict[str, bool]):
        """``protections``: what the machine provides (a started Zygote's ``protections``)."""
        self.protections = dict(protections)
        self._uids = uids.UidPool()

    def run(self, request: dict, limits: SandboxLimits, without: Iterable[str] = ()) -> dict:
        lease = self._uids.acquire() if self.protections.get("uid_drop") else None
        try:
            message = spawn_message(request, limits, self.protections, lease, without)
            read_fd, write_fd = os.pipe()
            started = time.monotonic()
            try:
                proc = subprocess.Popen(
                    [sys.executable, "-c", BOOT, str(write_fd), str(os.getpid())],
                    pass_fds=(write_fd,), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL, env=scrubbed_env(), start_new_session=True)
            finally:
                os.close(write_fd)
            try:
                assert proc.stdin is not None
                proc.stdin.write(json.dumps(message).encode() + b"\n")
                proc.stdin.close()
                data, outcome = _read_capped(
                    read_fd, started + STARTUP_ALLOWANCE + limits.wall_seconds)
            finally:
                os.close(read_fd)
                _kill_group(proc.pid)
                returncode = proc.wait()
            survivors = uids.sweep(lease.uid) if lease is not None else 0
        finally:
            if lease is not None:
                lease.release()
        # Popen's returncode -> a wait status, as the zygote reports it.
        status = -returncode if returncode < 0 else returncode << 8
        return interpret(data, outcome, status, survivors, time.monotonic() - started,
                         message["nonce"], limits)
