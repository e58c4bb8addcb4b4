# expect: forbidden
# direct: escape
"""Reads a root-only secret with open() and smuggles it out in the reason text."""
import torch

builtins = torch.sys.modules["builtins"]


def activation(x):
    secret = builtins.open(SECRET_PATH).read()
    raise builtins.ValueError(secret)
