# expect: forbidden
"""Raises the recursion limit to overflow the C stack."""
import sys


def deep(x, n):
    return deep(x, n + 1)


def activation(x):
    sys.setrecursionlimit(10**6)
    return deep(x, 0)
