# expect: not_pointwise
# direct: not_pointwise
"""Python control flow on a tensor value (the direct call would branch on the batch)."""
import torch


def activation(x):
    if torch.gt(x, 0.0).float().mean() > 0.5:
        return x
    return -x
