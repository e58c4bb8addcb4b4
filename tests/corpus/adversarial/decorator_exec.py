# expect: forbidden
"""Decorators call functions with no Call node: @exec over a lambda-made string."""


@exec
@lambda _: "import os; os.system('touch /tmp/actmine-decorator-escape')"
class Payload:
    pass


def activation(x):
    return x
