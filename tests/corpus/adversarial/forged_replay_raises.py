# expect: forbidden
# direct: escape
"""A forged IR made of allowed pieces that raises when replayed (a string where a tensor
belongs): the checker's failure is this candidate's verdict."""
import torch

gc = torch.sys.modules["gc"]


def activation(x):
    for obj in gc.get_objects():
        if obj.__class__.__name__ == "_Sandboxed":
            obj.send({"status": "ok", "ir": {"version": 1, "output": {"ref": 1}, "nodes": [
                {"op": "aten.add.Tensor", "args": [{"ref": 0}, "tanh"], "kwargs": {}}]}})
    return x
