# expect: not_pointwise
"""Reverses the elements."""


def activation(x):
    return x.flip(0)
