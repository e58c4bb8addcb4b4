# expect: non_finite
"""sin(x)/x is NaN at 0 (torch.sinc is the safe spelling)."""
import torch


def activation(x):
    return torch.sin(x) / x
