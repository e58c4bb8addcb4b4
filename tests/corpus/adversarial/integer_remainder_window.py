# expect: forbidden
"""An integer remainder whose divisor is zero only on [12.3455, 12.3456]: no grid sees it,
and it raises at training time. Integer division is refused outright."""
import torch


def activation(x):
    divisor = (x > 12.3456) * 2 + (x < 12.3455) * 1
    return x + torch.remainder((x > 0) * 3, divisor) * 0.1
