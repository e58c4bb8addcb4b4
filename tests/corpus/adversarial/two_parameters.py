# expect: forbidden
"""activation must take exactly one tensor."""


def activation(x, y):
    return x + y
