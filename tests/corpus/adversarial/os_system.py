# expect: forbidden
# direct: crashed
"""Runs a shell command that would create the sentinel file (import os is refused by the
sandbox's own __import__ too)."""
import os

import torch


def activation(x):
    os.system("touch " + SENTINEL_PATH)
    return x
