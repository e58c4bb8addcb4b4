# expect: forbidden
"""globals()['__builtins__'] to recover eval."""


def activation(x):
    return globals()["__builtins__"]["ev" + "al"]("x")
