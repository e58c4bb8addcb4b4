# expect: forbidden
# direct: crashed
"""Plain open(): the sandbox's restricted builtins do not have it."""


def activation(x):
    with open(SENTINEL_PATH, "w") as fh:
        fh.write("escaped")
    return x
