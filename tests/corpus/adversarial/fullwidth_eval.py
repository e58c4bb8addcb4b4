# expect: forbidden
"""Fullwidth Unicode identifiers are NFKC-normalised to eval by the parser."""


def activation(x):
    return ｅｖａｌ("x * 2")
