"""Helpers at module level: a soft gate times a bounded periodic bump."""
import torch


def gate(x):
    return torch.sigmoid(1.702 * x)


def bump(x):
    return 1.0 + 0.1 * torch.cos(x)


def activation(x):
    return x * gate(x) * bump(x)
