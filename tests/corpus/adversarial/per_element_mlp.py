# expect: not_pointwise
"""Semantically pointwise but built with unsqueeze and a reduction: a documented
completeness gap; rejected."""
import torch


def activation(x):
    w = torch.ones_like(x)
    return (x.unsqueeze(-1) * w.unsqueeze(-1)).relu().sum(-1)
