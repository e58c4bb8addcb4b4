"""SELU (Klambauer et al., 2017)."""
import torch


def activation(x):
    return torch.selu(x)
