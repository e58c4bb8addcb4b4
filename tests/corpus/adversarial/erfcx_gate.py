# expect: over_budget
"""The scaled complementary error function is a series too."""
import torch


def activation(x):
    return x * torch.special.erfcx(-torch.tanh(x))
