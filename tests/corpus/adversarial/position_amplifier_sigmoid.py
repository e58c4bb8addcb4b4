# expect: not_pointwise
"""sigmoid's vectorised and scalar kernels differ in the last bit for some inputs; a
remainder of a huge multiple turns that into a different output at another position."""
import torch


def activation(x):
    return torch.remainder(torch.sigmoid(x) * 300000.0, 0.25) + 0.01 * x
