# expect: not_pointwise forbidden
"""Per-element Python through tolist()."""
import torch


def activation(x):
    return torch.tensor([v * 2 for v in x.tolist()])
