# expect: forbidden
# direct: not_pointwise
"""Reads the last dimension through a subscript."""


def activation(x):
    return x * x.shape[-1]
