import torch
import torch.nn.functional as F


def activation(x):
    return F.leaky_relu(x, 0.25)
