# expect: forbidden
"""An atexit hook that would write after the launcher's result."""
import atexit


def activation(x):
    atexit.register(lambda: open(SENTINEL_PATH, "w"))
    return x
