# expect: forbidden
# direct: escape
"""A parameter annotation is evaluated when the def runs, before activation is ever
called: here it runs a shell command."""
import torch


def activation(x: torch.os.system("touch " + SENTINEL_PATH) or torch.Tensor):
    return x
