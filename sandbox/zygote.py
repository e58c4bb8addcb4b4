"""The zygote: a trusted, single-threaded process that imports torch once and forks one
sandboxed child per candidate (fresh interpreters cost seconds; a fork costs milliseconds).

It never runs candidate code itself. It is the child subreaper of every candidate, so
orphans (a double-forked daemon) are re-parented to it and reaped. Protocol over a
SOCK_SEQPACKET Unix socket (one message per packet), with the result pipe's write end
passed as an fd (SCM_RIGHTS):

    -> {"op": "spawn", ...request}   + [result_write_fd]   <- {"pid": N}
    -> {"op": "reap", "pid": N, "uid": U}                  <- {"pid": N, "status": S,
                                                               "survivors": K}

``survivors`` counts processes of the candidate's uid still alive after the candidate
itself was reaped; they are killed (and reaped) before the reply.

Run as ``python -m actmine.sandbox.zygote FD [PROBE_UID]``.
"""

from __future__ import annotations

import gc
import json
import os
import select
import socket
import sys

MAX_MESSAGE = 160 * 1024  # a check request carries a rebuilt IR (admission caps it at 96 KiB)


def warm_up():
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    import torch.nn.functional as F

    from . import checker, child, probes, trace_graph

    # Trace a few representative functions so lazy imports and caches happen here, not
    # in every child (and not after the audit hook, Landlock and the uid drop are armed).
    samples = [
        lambda x: F.gelu(x) + 0.1 * torch.sin(x),
        lambda x: F.mish(x) * torch.sinc(x) + torch.where(x > 0, x, torch.tensor(0.5) * x),
        lambda x: torch.tanh(x.double()).float() ** 2 + F.softplus(x) / (1 + x.abs()),
        lambda x: torch.clamp(F.elu(x), min=-1, max=2) + torch.erf(x) * torch.exp(-x * x),
        lambda x: F.logsigmoid(x) + F.hardswish(x) + torch.lgamma(x.abs() + 1),
    ]
    for fn in samples:
        ir = trace_graph.trace(fn, 64)
        probes.report(fn, 1)
        try:
            checker.run({"ir": ir, "probe_seed": 1})  # the checker child's path, warmed too
        except Exception:  # noqa: BLE001 - warming only; a verdict here means nothing
            pass
    for bad in (lambda x: x - x.mean(), lambda x: x * x.shape[0],
                lambda x: x if x.sum() > 0 else -x):
        try:
            trace_graph.trace(bad, 64)
        except Exception:  # noqa: BLE001 - warming the rejection paths too
            pass
    del child  # imported for its module-level work only

    def sample() -> None:
        ir = trace_graph.trace(samples[0], 64)
        assert ir["nodes"], "empty trace"
        samples[1](torch.randn(7))

    return sample


def serve(sock: socket.socket) -> None:
    from . import child, uids

    statuses: dict[int, int] = {}
    forgotten: set[int] = set()
    me = os.getpid()
    while True:
        # Wake often: exited candidates are reaped here, and their uid is free only then.
        ready, _, _ = select.select([sock], [], [], 0.05)
        _reap_all(statuses, forgotten)
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
            if status is None and message.get("wait", True):
                try:
                    _, status = os.waitpid(pid, 0)
                except ChildProcessError:
                    status = -1
            elif status is None:
                forgotten.add(pid)  # still exiting: _reap_all collects it, nobody asks
            uid = message.get("uid")
            survivors = 0
            if message.get("sweep", True) and isinstance(uid, int) and uids.is_sandbox_uid(uid):
                survivors = uids.sweep(uid, exclude=pid)
            _reap_all(statuses, forgotten)
            sock.send(json.dumps({"pid": pid, "status": -1 if status is None else status,
                                  "survivors": survivors}).encode())
        else:
            for fd in fds:
                os.close(fd)
            sock.send(json.dumps({"error": "unknown op"}).encode())


def _reap_all(statuses: dict[int, int], forgotten: set[int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in forgotten:
            forgotten.discard(pid)
            continue
        statuses[pid] = status
        if len(statuses) > 4096:  # orphans nobody asks about
            statuses.pop(next(iter(statuses)))


def main() -> None:
    fd = int(sys.argv[1])
    probe_uid = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] != "-" else None
    sock = socket.socket(fileno=fd)
    from . import probe, protections

    protections.set_child_subreaper()  # before any fork, so no orphan escapes us
    protections.compile_seccomp()  # once, inherited by every child
    sample = warm_up()
    report = probe.probe(probe_uid, sample)
    # Children inherit the warm heap copy-on-write; frozen objects are never scanned by a
    # child's garbage collector, so they stay shared instead of being copied page by page.
    gc.collect()
    gc.freeze()
    sock.send(json.dumps({"ready": True, "protections": report}).encode())
    serve(sock)


if __name__ == "__main__":
    main()
