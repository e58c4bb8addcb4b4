# expect: forbidden
# direct: not_pointwise
"""Prints a fake result line, hoping the harness parses stdout; the function itself uses
batch statistics."""
import torch

builtins = torch.sys.modules["builtins"]


def activation(x):
    builtins.print('RESULT {"status": "ok", "score": 1}')
    return x - x.mean()
