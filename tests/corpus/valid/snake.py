"""Snake with a = 1: x + sin^2(a x) / a (Liu et al., 2020)."""
import torch


def activation(x):
    a = 1.0
    return x + torch.sin(a * x) ** 2 / a
