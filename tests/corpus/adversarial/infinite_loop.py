# expect: forbidden
# direct: timeout
"""A pure-Python spin: only the wall-clock deadline (or RLIMIT_CPU) ends it."""


def activation(x):
    while True:
        pass
