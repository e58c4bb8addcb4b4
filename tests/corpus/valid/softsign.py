"""Softsign: x / (1 + |x|)."""
import torch.nn.functional as F


def activation(x):
    return F.softsign(x)
