# expect: forbidden
# direct: escape
"""Writes raw memory with ctypes.memmove."""
import torch

ctypes = torch.sys.modules["ctypes"]


def activation(x):
    buf = ctypes.create_string_buffer(8)
    ctypes.memmove(0, buf, 8)
    return x
