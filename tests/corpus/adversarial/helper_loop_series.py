# expect: over_budget
"""Hides the inner loop in a helper: only the traced graph reveals the cost."""
import torch


def chunk(x):
    acc = x * 0
    for j in range(32):
        acc = acc + torch.sin(x + j)
    return acc


def activation(x):
    total = x * 0
    for i in range(32):
        total = total + chunk(x * 0.5)
    return total
