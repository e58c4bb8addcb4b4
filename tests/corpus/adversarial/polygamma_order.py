# expect: forbidden
# direct: forbidden
"""polygamma(n, x): a series whose length depends on n."""
import torch


def activation(x):
    return torch.polygamma(40, x.abs() + 1.0) * 1e-30 + x
