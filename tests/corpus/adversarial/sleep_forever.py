# expect: forbidden
# direct: timeout
"""Sleeps past any deadline."""
import torch

time = torch.sys.modules["time"]


def activation(x):
    time.sleep(10**6)
    return x
