# expect: forbidden
# direct: not_pointwise
"""A tensor constant with a shape makes the output depend on positions."""
import torch


def activation(x):
    return x * torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])
