# expect: forbidden
# direct: escape
"""A TCP server socket opened from C++ (torch.distributed's TCPStore): the audit hook
never sees it, seccomp does, and a forbidden system call is an escape, not a crash."""
import torch


def activation(x):
    store = torch.distributed.TCPStore("127.0.0.1", LISTEN_PORT + 1, 1, True)
    store.set("k", "v")
    return x
