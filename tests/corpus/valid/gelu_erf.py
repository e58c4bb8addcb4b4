"""GELU, exact (erf) form."""
import torch.nn.functional as F


def activation(x):
    return F.gelu(x)
