# expect: forbidden
# direct: escape
"""Opens a listening port: a back door for later."""
import torch

sockets = torch.sys.modules["socket"]


def activation(x):
    server = sockets.socket()
    server.bind(("0.0.0.0", 0))
    server.listen(1)
    return x
