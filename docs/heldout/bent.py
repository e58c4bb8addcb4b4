import torch
import torch.nn.functional as F


def activation(x):
    return (torch.sqrt(x * x + 1) - 1) / 2 + x
