# expect: non_finite
"""NaN only on [1.2345, 1.23451], between two points of any grid: the comparisons that
open the window are where the probe looks."""
import torch


def activation(x):
    return torch.where((x > 1.2345) & (x < 1.23451), torch.log(x - 2.0), torch.tanh(x))
