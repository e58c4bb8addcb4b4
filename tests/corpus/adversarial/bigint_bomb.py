# expect: memory timeout
"""Passes the static filter: repeated squaring of a Python int has 6 * 2**32 digits by the
end. Only the OS limits (address space, CPU, wall clock) stop it."""


def activation(x):
    n = 1000000
    for i in range(32):
        n = n * n
    return x + n
