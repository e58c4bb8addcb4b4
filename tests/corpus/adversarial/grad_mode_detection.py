# expect: forbidden
# direct: not_pointwise
"""Behaves one way while gradients are recorded (tracing, training) and another without
(a plain call): the IR is not what the function does."""
import torch


def activation(x):
    if torch.is_grad_enabled():
        return torch.tanh(x) * 2
    return torch.tanh(x)
