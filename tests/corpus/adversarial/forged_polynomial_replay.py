# expect: forbidden
# direct: escape
"""A forged IR whose replay in the parent would loop 10**12 times per element."""
import torch

gc = torch.sys.modules["gc"]


def activation(x):
    for obj in gc.get_objects():
        if obj.__class__.__name__ == "_Sandboxed":
            obj.send({"status": "ok", "ir": {"version": 1, "output": {"ref": 1}, "nodes": [
                {"op": "aten.special_laguerre_polynomial_l.n_scalar",
                 "args": [{"ref": 0}, 10 ** 12], "kwargs": {}}]}})
    return x
