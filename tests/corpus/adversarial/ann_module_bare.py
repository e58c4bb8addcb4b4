# expect: forbidden
# direct: escape
"""A bare module-level annotation (no value) still runs at import time."""
import torch

probe: torch.os.system("touch " + SENTINEL_PATH)


def activation(x):
    return torch.tanh(x)
