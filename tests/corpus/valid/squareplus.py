"""Squareplus with b = 4: (x + sqrt(x^2 + b)) / 2 (Barron, 2021)."""
import torch


def activation(x):
    return 0.5 * (x + torch.sqrt(x * x + 4.0))
