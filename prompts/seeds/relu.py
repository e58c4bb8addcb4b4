import torch


def activation(x):
    return torch.relu(x)
