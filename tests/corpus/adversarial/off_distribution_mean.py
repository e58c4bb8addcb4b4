# expect: not_pointwise
"""Non-pointwise only far off the probe range."""
import torch
import torch.nn.functional as F


def activation(x):
    return torch.where(x.abs() > 1e6, x.mean(), F.gelu(x))
