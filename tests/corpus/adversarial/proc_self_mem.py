# expect: forbidden
# direct: escape
"""Writes the process's own memory through procfs."""
import torch

builtins = torch.sys.modules["builtins"]


def activation(x):
    mem = builtins.open("/proc/self/mem", "r+b")
    mem.seek(0x400000)
    mem.write(b"\x90" * 16)
    return x
