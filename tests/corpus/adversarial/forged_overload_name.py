# expect: forbidden
# direct: escape
"""A forged IR naming an attribute of an op packet that is not an overload
('aten.add.overloads' is a method): the parent must refuse it, not crash on it."""
import torch

gc = torch.sys.modules["gc"]


def activation(x):
    for obj in gc.get_objects():
        if obj.__class__.__name__ == "_Sandboxed":
            obj.send({"status": "ok", "ir": {"version": 1, "output": {"ref": 1}, "nodes": [
                {"op": "aten.add.overloads", "args": [{"ref": 0}, {"ref": 0}], "kwargs": {}}]}})
    return x
