"""Sine (SIREN-style periodic activation)."""
import torch


def activation(x):
    return torch.sin(x)
