# expect: forbidden
"""torch.compile spawns compile workers and writes caches."""
import torch


def inner(x):
    return x * 2


def activation(x):
    return torch.compile(inner)(x)
