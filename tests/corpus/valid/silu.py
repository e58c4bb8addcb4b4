"""SiLU / Swish-1: x * sigmoid(x)."""
import torch.nn.functional as F


def activation(x):
    return F.silu(x)
