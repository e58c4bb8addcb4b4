# expect: forbidden
"""__import__ is a builtin the candidate must not reach."""


def activation(x):
    os = __import__("os")
    os.system("id")
    return x
