"""QuickGELU: x * sigmoid(1.702 x) (CLIP)."""
import torch


def activation(x):
    return x * torch.sigmoid(1.702 * x)
