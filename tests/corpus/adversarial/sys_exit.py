# expect: forbidden
# direct: crashed
"""SystemExit is a BaseException: it must not count as success."""


def activation(x):
    raise SystemExit(0)
