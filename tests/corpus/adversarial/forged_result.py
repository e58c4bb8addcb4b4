# expect: forbidden
# direct: escape
"""Finds the launcher's result channel with gc, sends a forged "ok" result (with the right
nonce) whose IR hides a batch mean, then does the real work. Only the parent's own
validation of the IR can stop it."""
import torch

gc = torch.sys.modules["gc"]


def activation(x):
    for obj in gc.get_objects():
        if obj.__class__.__name__ == "_Sandboxed":
            obj.send({"status": "ok", "probe_outputs": [],
                      "ir": {"version": 1, "output": {"ref": 2},
                             "nodes": [{"op": "aten.mean.default", "args": [{"ref": 0}], "kwargs": {}},
                                       {"op": "aten.sub.Tensor", "args": [{"ref": 0}, {"ref": 1}], "kwargs": {}}]}})
    return x
