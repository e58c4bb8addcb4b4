# expect: forbidden
"""Builds the attribute name from strings so no Attribute node names it."""
import torch


def activation(x):
    load = getattr(torch, "lo" + "ad")
    return load(SECRET_PATH)
