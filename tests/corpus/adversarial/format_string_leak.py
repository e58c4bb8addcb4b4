# expect: forbidden
"""str.format reads attributes with no Attribute node: an information leak."""
import torch


def activation(x):
    leak = "{0.__globals__}".format(activation)
    return x * len(leak)
