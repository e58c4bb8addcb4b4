"""x * sin(x)."""
import torch


def activation(x):
    return x * torch.sin(x)
