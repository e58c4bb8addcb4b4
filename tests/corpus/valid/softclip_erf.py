"""erf-based soft clipping with a linear leak."""
import torch


def activation(x):
    return torch.erf(x) + 0.05 * x
