# expect: not_pointwise
"""Standardises with a reduction written as a method chain on an expression."""


def activation(x):
    return (x - x.mean()) / (x - x.mean()).abs().max()
