# expect: over_budget crashed
"""Unbounded recursion through a helper passes the static filter; the trace must fail
cleanly (RecursionError), not crash the supervisor."""
import torch


def deep(x):
    return deep(x * 1.0)


def activation(x):
    return deep(x)
