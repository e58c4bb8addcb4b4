# expect: forbidden
"""Ignores its input: ones_like(x) is shaped like x but carries no information."""
import torch


def activation(x):
    return torch.ones_like(x)
