"""Leaky ReLU with slope 0.01 (Maas et al., 2013)."""
import torch.nn.functional as F


def activation(x):
    return F.leaky_relu(x, 0.01)
