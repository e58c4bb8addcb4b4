# expect: non_finite
"""An infinite slope at one float inside a narrow window: the value is finite everywhere,
the gradient is not."""
import torch


def activation(x):
    return torch.where((x > 0.1) & (x < 0.1001), (x - 0.10005).abs() ** 0.5, x)
