# expect: syntax
"""Not Python."""


def activation(x)
    return x
