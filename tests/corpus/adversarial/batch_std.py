# expect: not_pointwise
"""Normalises by the batch standard deviation."""
import torch


def activation(x):
    return x / (torch.std(x) + 1e-5)
