# expect: non_finite
"""A denominator that crosses zero at 0.7777, between grid points: finite everywhere the
grid looks, infinite at one float."""
import torch


def activation(x):
    return torch.tanh(x) / torch.sin(x - 0.7777)
