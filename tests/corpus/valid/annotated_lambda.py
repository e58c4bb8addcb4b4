"""Type annotations and a local lambda without defaults are fine."""
import torch


def activation(x: torch.Tensor) -> torch.Tensor:
    damp = lambda v: v * torch.exp(-0.05 * v * v)
    return torch.relu(x) + damp(torch.sin(x))
