# expect: forbidden
# direct: escape
"""At module level, an annotated assignment to an attribute evaluates its annotation (and
the attribute's object) even though nothing is stored."""
import torch

torch.pi: torch.os.system("touch " + SENTINEL_PATH) = 3.0


def activation(x):
    return x * torch.pi
