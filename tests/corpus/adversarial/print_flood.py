# expect: forbidden
# direct: not_pointwise
"""30 MB on stdout (which is /dev/null in the sandbox), then batch statistics."""
import torch

builtins = torch.sys.modules["builtins"]


def activation(x):
    for _ in range(30):
        builtins.print("A" * 1000000)
    return x - x.mean()
