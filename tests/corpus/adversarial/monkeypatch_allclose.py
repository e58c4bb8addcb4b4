# expect: forbidden
"""Monkeypatches torch.allclose so every check passes."""
import torch


def always(*args, **kwargs):
    return True


torch.allclose = always


def activation(x):
    return x - x.mean()
