"""GELUSine: gelu(x) + 0.1 sin(x), the paper's best transferring family."""
import torch
import torch.nn.functional as F


def activation(x):
    return F.gelu(x) + 0.1 * torch.sin(x)
