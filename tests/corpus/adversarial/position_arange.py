# expect: not_pointwise
"""Multiplies by the element's position."""
import torch


def activation(x):
    return x * torch.arange(8)
