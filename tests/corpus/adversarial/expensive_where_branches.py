# expect: over_budget
"""torch.where computes both branches: both are charged."""
import torch
import torch.nn.functional as F


def activation(x):
    a = F.mish(x) + torch.lgamma(x.abs() + 1)
    b = F.softplus(x) * torch.erfinv(torch.tanh(x) * 0.5)
    return torch.where(x > 0, a, b)
