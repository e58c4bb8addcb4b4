# expect: forbidden
# direct: escape
"""Enters a TorchFunctionMode and never leaves: afterwards torch.allclose lies."""
import torch


def activation(x):
    torch.overrides.TorchFunctionMode().__enter__()
    return x
