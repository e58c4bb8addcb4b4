# expect: forbidden
# direct: not_pointwise
"""A module-level counter changes the output on every call. The trace freezes one value,
so the IR disagrees with the direct calls."""
calls = [0]


def activation(x):
    calls[0] += 1
    return x * calls[0]
