# expect: over_budget
"""The modified Bessel function i0 is a long Chebyshev series per element: scaled down to
look harmless, it still costs more than the whole budget."""
import torch


def activation(x):
    return x + 0.001 * torch.i0(torch.tanh(x))
