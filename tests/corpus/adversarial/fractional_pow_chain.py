# expect: over_budget
"""x ** 2.5 is exp(2.5 log x): 17 FLOPs each, not 1."""


def activation(x):
    y = x.abs() + 1
    return y ** 2.5 + y ** 1.5 + y ** 0.75 + y ** 3.5 + x
