# expect: not_pointwise
# direct: not_pointwise
"""Multiplicative noise: nondeterministic."""
import torch


def activation(x):
    return x * torch.rand_like(x)
