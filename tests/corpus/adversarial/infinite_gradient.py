# expect: non_finite
"""sqrt|x| is finite but its slope is infinite at 0."""
import torch


def activation(x):
    return torch.sqrt(x.abs())
