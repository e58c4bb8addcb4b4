# expect: forbidden
"""torch.load with weights_only=False is pickle."""
import torch


def activation(x):
    return x * torch.load(SECRET_PATH, weights_only=False)
