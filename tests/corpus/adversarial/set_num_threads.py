# expect: forbidden
"""Oversubscribes the machine with 256 intra-op threads."""
import torch


def activation(x):
    torch.set_num_threads(256)
    return x
