# expect: forbidden
# direct: forbidden
"""Multivariate log-gamma of order p sums p lgammas per element."""
import torch


def activation(x):
    return torch.mvlgamma(x.abs() + 300.0, 500) * 1e-6
