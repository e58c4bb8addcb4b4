# expect: not_pointwise
"""Sorting reorders elements."""
import torch


def activation(x):
    return torch.sort(x).values
