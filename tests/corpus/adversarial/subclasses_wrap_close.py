# expect: forbidden
# direct: escape
"""The textbook escape: object.__subclasses__() -> os._wrap_close -> globals['system']."""


def activation(x):
    for cls in ().__class__.__base__.__subclasses__():
        if cls.__name__ == "_wrap_close":
            cls.__init__.__globals__["system"]("touch " + SENTINEL_PATH)
    return x
