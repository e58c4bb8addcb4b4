"""Hard tanh: clamp to [-1, 1]."""
import torch.nn.functional as F


def activation(x):
    return F.hardtanh(x)
