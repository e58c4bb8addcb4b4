"""The zygote: a trusted, single-threaded process that imports torch once and forks one
sandboxed child per candidate (fresh interpreters cost seconds; a fork costs milliseconds).

It never runs candidate code itself. Protocol over a SOCK_SEQPACKET Unix socket (one
message per packet), with the result pipe's write end passed as an fd (SCM_RIGHTS):

    -> {"op": "spawn", ...request}   + [result_write_fd]   <- {"pid": N}
    -> {"op": "reap", "pid": N}                            <- {"pid": N, "status": S}

Run as ``python -m actmine.sandbox.zygote FD``.
"""

from __future__ import annotations

import json
import os
import select
import socket
import sys

MAX_MESSAGE = 64 * 1024


def _warm_up() -> dict:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    import torch.nn.functional as F

    from . import child, protections, trace_graph

    # Trace a few representative functions so lazy imports and caches happen here, not
    # in every child (and not after the audit hook is armed).
    samples = [
        lambda x: F.gelu(x) + 0.1 * torch.sin(x),
        lambda x: F.mish(x) * torch.sinc(x) + torch.where(x > 0, x, torch.tensor(0.5) * x),
        lambda x: torch.tanh(x.double()).float() ** 2 + F.softplus(x) / (1 + x.abs()),
        lambda x: torch.clamp(F.elu(x), min=-1, max=2) + torch.erf(x) * torch.exp(-x * x),
    ]
    for fn in samples:
        trace_graph.trace(fn, 64)
    for bad in (lambda x: x - x.mean(), lambda x: x * x.shape[0]):
        try:
            trace_graph.trace(bad, 64)
        except Exception:  # noqa: BLE001 - warming the rejection paths too
            pass
    del child
    return protections.probe()


def serve(sock: socket.socket) -> None:
    from . import child, protections

    protections.set_child_subreaper()
    statuses: dict[int, int] = {}
    me = os.getpid()
    while True:
        ready, _, _ = select.select([sock], [], [], 0.5)
        _reap_all(statuses)
        if not ready:
            continue
        try:
            data, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, 1)
        except OSError:
            return
        if not data:
            return  # supervisor went away
        message = json.loads(data)
        if message.get("op") == "spawn":
            if len(fds) != 1:
                sock.send(json.dumps({"error": "spawn needs one fd"}).encode())
                continue
            pid = os.fork()
            if pid == 0:
                sock.close()
                child.run(message, fds[0], me)  # never returns
            os.close(fds[0])
            sock.send(json.dumps({"pid": pid}).encode())
        elif message.get("op") == "reap":
            pid = int(message["pid"])
            status = statuses.pop(pid, None)
            if status is None:
                try:
                    _, status = os.waitpid(pid, 0)
                except ChildProcessError:
                    status = -1
            sock.send(json.dumps({"pid": pid, "status": status}).encode())
        else:
            for fd in fds:
                os.close(fd)
            sock.send(json.dumps({"error": "unknown op"}).encode())


def _reap_all(statuses: dict[int, int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        statuses[pid] = status
        if len(statuses) > 4096:  # orphans nobody asks about
            statuses.pop(next(iter(statuses)))


def main() -> None:
    fd = int(sys.argv[1])
    sock = socket.socket(fileno=fd)
    protections = _warm_up()
    sock.send(json.dumps({"ready": True, "protections": protections}).encode())
    serve(sock)


if __name__ == "__main__":
    main()
