# expect: forbidden
# direct: not_pointwise
"""Pointwise only while traced: the IR is harmless, and the direct calls disagree with it."""


def activation(x):
    if x.__class__.__name__ != "Tensor":
        return x * 2
    return x - x.mean()
