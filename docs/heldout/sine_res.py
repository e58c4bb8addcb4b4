import torch
import torch.nn.functional as F


def activation(x):
    return x + 0.5 * torch.sin(x)
