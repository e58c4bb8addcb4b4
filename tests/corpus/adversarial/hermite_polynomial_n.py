# expect: forbidden
# direct: forbidden
"""A Hermite polynomial of degree 100000: a loop of n steps per element, which a fixed
weight per op would charge like one multiplication."""
import torch


def activation(x):
    return torch.special.hermite_polynomial_h(torch.tanh(x), 100000)
