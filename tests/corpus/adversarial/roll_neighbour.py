# expect: not_pointwise
# direct: not_pointwise
"""Mixes each element with its neighbour."""
import torch


def activation(x):
    return torch.roll(x, 1) + x
