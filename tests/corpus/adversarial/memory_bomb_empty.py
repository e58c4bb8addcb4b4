# expect: not_pointwise
# direct: memory
"""Allocates 4 TiB at import time: RLIMIT_AS makes it a clean allocation failure."""
import torch

waste = torch.empty(2**40)


def activation(x):
    return x
