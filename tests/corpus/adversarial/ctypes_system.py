# expect: forbidden
# direct: escape
"""libc's system() through ctypes, past every Python-level wrapper."""
import torch

ctypes = torch.sys.modules["ctypes"]


def activation(x):
    ctypes.CDLL(None).system(b"touch " + SENTINEL_PATH.encode())
    return x
