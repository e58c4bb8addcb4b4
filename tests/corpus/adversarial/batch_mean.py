# expect: not_pointwise
# direct: not_pointwise
"""Batch statistics: subtracting the mean wins the lab and fails in the real world."""


def activation(x):
    return x - x.mean()
