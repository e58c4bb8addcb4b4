# expect: not_pointwise
# direct: not_pointwise
"""Computes outside torch, invisible to dispatch: symbolic tracing refuses it."""
import torch


def activation(x):
    return torch.from_numpy(x.numpy() * 2)
