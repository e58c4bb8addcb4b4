# expect: forbidden
# direct: forbidden
"""A Chebyshev polynomial whose degree is computed from x: the work per element is chosen
by the data."""
import torch


def activation(x):
    return torch.special.chebyshev_polynomial_t(torch.tanh(x), (x.abs() * 1000).round())
