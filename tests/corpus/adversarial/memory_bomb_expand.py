# expect: not_pointwise
# direct: not_pointwise memory
"""Expands the input to a huge contiguous tensor."""


def activation(x):
    return x.expand(10**5, 10**5, -1).contiguous().mean(0).mean(0)
