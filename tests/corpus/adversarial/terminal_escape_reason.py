# expect: forbidden
# direct: crashed
"""An error message full of terminal control sequences (set the title, ring the bell,
clear the screen): the reason must arrive printable."""
import torch

builtins = torch.sys.modules["builtins"]


def activation(x):
    raise builtins.RuntimeError("\x1b]0;owned\x07\x1b[2J\x1b[31mall clear\x9b0m")
