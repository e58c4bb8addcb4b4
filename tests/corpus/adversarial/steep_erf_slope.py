# expect: non_finite
"""A bounded output with a slope of 1e16 at 0: finite, and useless to train."""
import torch


def activation(x):
    return torch.erf(x * 1000000.0 * 1000000.0 * 10000.0) + 0.1 * x
