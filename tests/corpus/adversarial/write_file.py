# expect: forbidden
# direct: escape
"""Writes a file outside the sandbox."""
import torch

builtins = torch.sys.modules["builtins"]


def activation(x):
    with builtins.open(SENTINEL_PATH, "w") as fh:
        fh.write("escaped")
    return x
