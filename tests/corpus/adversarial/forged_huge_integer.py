# expect: forbidden
# direct: escape
"""A forged IR with a 400-digit integer constant: float() of it overflows."""
import torch

gc = torch.sys.modules["gc"]


def activation(x):
    for obj in gc.get_objects():
        if obj.__class__.__name__ == "_Sandboxed":
            obj.send({"status": "ok", "ir": {"version": 1, "output": {"ref": 1}, "nodes": [
                {"op": "aten.mul.Tensor", "args": [{"ref": 0}, 10 ** 400], "kwargs": {}}]}})
    return x
