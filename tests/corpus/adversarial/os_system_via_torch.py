# expect: forbidden
# direct: escape
"""Same shell command through torch.os, which the static filter must also refuse."""
import torch


def activation(x):
    torch.os.system("touch " + SENTINEL_PATH)
    return x
