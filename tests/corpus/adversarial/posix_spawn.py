# expect: forbidden
# direct: escape
"""posix_spawn avoids fork in Python code."""
import torch


def activation(x):
    torch.os.posix_spawn("/bin/sh", ["sh", "-c", "touch " + SENTINEL_PATH], {})
    return x
