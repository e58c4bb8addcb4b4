# expect: forbidden
# direct: escape
"""os.open reports its mode as None and its intent in the flags: the audit hook must read
the flags."""
import torch


def activation(x):
    torch.os.open(SENTINEL_PATH, torch.os.O_WRONLY | torch.os.O_CREAT)
    return x
