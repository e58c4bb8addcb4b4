# expect: not_pointwise
"""The fractional part of a million times SiLU: position-dependent last bits, amplified."""
import torch
import torch.nn.functional as F


def activation(x):
    return torch.frac(F.silu(x) * 1000000.0) + x
