# expect: forbidden
# direct: crashed
"""torch.from_file(shared=True) maps a host file writable: a write primitive, used at
import time on a real tensor."""
import torch

victim = torch.from_file(VICTIM_PATH, shared=True, size=8, dtype=torch.uint8)
victim.fill_(88)


def activation(x):
    return x
