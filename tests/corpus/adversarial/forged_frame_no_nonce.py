# expect: forbidden
# direct: escape
"""Writes its own length-prefixed "ok" frame to every open descriptor, without knowing the
nonce: the supervisor must not take it for the sandbox's answer."""
import torch

os = torch.os
builtins = torch.sys.modules["builtins"]


def activation(x):
    body = b'{"status": "ok", "nonce": "guess"}'
    frame = builtins.len(body).to_bytes(8, "big") + body
    for fd in builtins.range(3, 64):
        try:
            os.write(fd, frame)
        except builtins.OSError:
            pass
    return x
