# expect: forbidden
# direct: escape
"""Reads the system password file (open() reached through sys.modules, since the sandbox's
builtins have no open) and leaks it through the error message."""
import torch

builtins = torch.sys.modules["builtins"]


def activation(x):
    text = builtins.open("/etc/passwd").read()
    raise builtins.ValueError(text)
