# expect: forbidden
"""A default argument runs at import time, before any call is traced."""
import torch


def activation(x, sneaky=torch.os.system("id")):
    return x
