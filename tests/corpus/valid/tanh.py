"""Hyperbolic tangent."""
import torch


def activation(x):
    return torch.tanh(x)
