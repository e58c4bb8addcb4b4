# expect: forbidden
"""An integer base raised to an integer tensor: a scalar loop, hundreds of times slower
than its charge."""
import torch


def activation(x):
    return x + ((x > 0) * 3) ** ((x < 1) * 2) * 0.1
