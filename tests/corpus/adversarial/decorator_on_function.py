# expect: forbidden
"""A decorator on activation itself can replace it with anything."""
import torch


def swap(fn):
    return torch.load


@swap
def activation(x):
    return x
