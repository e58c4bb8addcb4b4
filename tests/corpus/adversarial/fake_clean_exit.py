# expect: forbidden
# direct: escape
"""Prints a fake result and exits with status 0 before the sandbox can answer."""
import torch

builtins = torch.sys.modules["builtins"]


def activation(x):
    builtins.print('{"status": "ok"}')
    torch.os._exit(0)
