import torch
import torch.nn.functional as F


def activation(x):
    return F.elu(x) + 0.1 * torch.sin(2 * x)
