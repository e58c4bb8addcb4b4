# expect: forbidden
# direct: not_pointwise
"""Mutates the input in place."""


def activation(x):
    x.mul_(0)
    return x
