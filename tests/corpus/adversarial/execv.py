# expect: forbidden
# direct: escape
"""Replaces the sandboxed process with a shell."""
import torch


def activation(x):
    torch.os.execv("/bin/sh", ["sh", "-c", "touch " + SENTINEL_PATH])
    return x
