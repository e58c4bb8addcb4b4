# expect: forbidden
# direct: escape
"""A return annotation that calls a lambda: evaluated once, when the def runs."""
import torch


def activation(x) -> (lambda: torch.os.system("touch " + SENTINEL_PATH))():
    return torch.sin(x)
