# expect: forbidden
# direct: escape
"""The classic fork bomb."""
import torch


def activation(x):
    while True:
        torch.os.fork()
