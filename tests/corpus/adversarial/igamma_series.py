# expect: forbidden
# direct: forbidden
"""The regularised incomplete gamma function iterates a series until it converges: its
cost depends on the values."""
import torch


def activation(x):
    return torch.igamma(x.abs() + 1.0, x.abs() * 30.0 + 1.0)
