# expect: over_budget
"""torch.where is a scalar select loop on CPU: three of them cost more than the budget."""
import torch


def activation(x):
    a = torch.where(x > 1, x, 0.5 * x)
    b = torch.where(a < -1, -1 + 0.1 * a, a)
    return torch.where(b > 3, 3 + 0.01 * b, b)
