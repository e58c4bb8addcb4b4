# expect: forbidden
# direct: escape
"""Reads the zygote's environment (a supervisor's API keys would live there) through
procfs at import time, and leaks it through the error message."""
import torch

builtins = torch.sys.modules["builtins"]
leak = builtins.open("/proc/%d/environ" % torch.os.getppid()).read()


def activation(x):
    raise builtins.ValueError(leak)
