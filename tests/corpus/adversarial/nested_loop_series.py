# expect: over_budget
"""32 x 32 nested loops: a 1,024-term series in two innocent-looking loops."""
import torch


def activation(x):
    total = x * 0
    for i in range(32):
        for j in range(32):
            total = total + torch.sin(x * 0.01)
    return total
