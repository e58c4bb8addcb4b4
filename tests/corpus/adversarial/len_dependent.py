# expect: not_pointwise
"""len(x) is the batch size."""


def activation(x):
    return x * len(x)
