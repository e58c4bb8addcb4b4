"""Inverse square root unit with alpha 1: x / sqrt(1 + x^2)."""
import torch


def activation(x):
    return x * torch.rsqrt(1.0 + x * x)
