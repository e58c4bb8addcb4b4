"""ReLU: max(x, 0)."""
import torch


def activation(x):
    return torch.relu(x)
