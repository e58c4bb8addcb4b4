# expect: forbidden
"""Interactive escape hatches: breakpoint(), input(), help()."""


def activation(x):
    breakpoint()
    input()
    return x
