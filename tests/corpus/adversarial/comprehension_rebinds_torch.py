# expect: forbidden
"""A comprehension target that is an attribute assigns to it: torch.sin is replaced for
the harness too."""
import torch


def activation(x):
    return sum(torch.sin(x) for torch.sin in [torch.cos])
