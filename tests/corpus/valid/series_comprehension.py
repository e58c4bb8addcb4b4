"""sum() over a generator with a constant bound: a short power series of tanh(x)."""
import torch


def activation(x):
    t = torch.tanh(x)
    return 0.5 * x + sum(t ** k / (k + 1) for k in range(1, 4))
