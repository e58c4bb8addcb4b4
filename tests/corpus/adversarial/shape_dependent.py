# expect: not_pointwise
# direct: not_pointwise
"""Scales by the number of elements: changes with batch size."""


def activation(x):
    return x / x.numel()
