"""GELU's tanh approximation spelled out with math constants."""
import math

import torch


def activation(x):
    c = math.sqrt(2.0 / math.pi)
    return 0.5 * x * (1.0 + torch.tanh(c * (x + 0.044715 * x ** 3)))
