# expect: not_pointwise
"""Softmax couples every element with every other."""
import torch.nn.functional as F


def activation(x):
    return x * F.softmax(x, -1)
