# expect: forbidden
"""torch.ops.load_library dlopens a shared object."""
import torch


def activation(x):
    torch.ops.load_library("/tmp/evil.so")
    return x
