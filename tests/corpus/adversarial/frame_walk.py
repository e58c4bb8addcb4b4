# expect: forbidden
# direct: escape crashed not_pointwise
"""Walks up the stack to the launcher's frame and rewrites its globals."""
import torch


def activation(x):
    frame = torch.sys._getframe(1)
    frame.f_globals["PROBE_SCALE"] = 0.0
    return x
