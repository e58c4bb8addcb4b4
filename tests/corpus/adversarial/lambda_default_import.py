# expect: forbidden
"""Lambda defaults are evaluated at definition time."""


def activation(x):
    f = lambda y, o=__import__("os"): o.system("id") or y
    return f(x)
