# expect: over_budget
"""Round trips through float64: every cast copies the tensor, so casts are not free."""
import torch


def activation(x):
    for i in range(8):
        x = x.double().float()
    return torch.tanh(x)
