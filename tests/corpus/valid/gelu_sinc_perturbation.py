"""GELU-Sinc-Perturbation: gelu(x) * (1 + 0.5 sinc(x))."""
import torch
import torch.nn.functional as F


def activation(x):
    return F.gelu(x) * (1 + 0.5 * torch.sinc(x))
