# expect: forbidden
"""The entry point has the wrong name."""
import torch


def act(x):
    return torch.relu(x)
