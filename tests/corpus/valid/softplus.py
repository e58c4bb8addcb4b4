"""Softplus: log(1 + exp(x))."""
import torch.nn.functional as F


def activation(x):
    return F.softplus(x)
