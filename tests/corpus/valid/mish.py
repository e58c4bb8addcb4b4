"""Mish: x * tanh(softplus(x)) (Misra, 2019)."""
import torch.nn.functional as F


def activation(x):
    return F.mish(x)
