# expect: forbidden
# direct: escape
"""Finds the result channel and writes a deeply nested JSON result with the right nonce
and length: decoding it raises RecursionError, which must become this candidate's
verdict, never an exception in the parent."""
import torch

gc = torch.sys.modules["gc"]
builtins = torch.sys.modules["builtins"]


def activation(x):
    for obj in gc.get_objects():
        if obj.__class__.__name__ == "_Sandboxed":
            data = ('{"nonce": "%s", "status": "ok", "ir": %s}' % (
                obj.nonce, "[" * 60000 + "]" * 60000)).encode()
            torch.os.write(obj.result_fd, builtins.len(data).to_bytes(8, "big") + data)
            obj.sent = True
    return x
