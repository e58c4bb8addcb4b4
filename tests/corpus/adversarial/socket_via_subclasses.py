# expect: forbidden
# direct: escape
"""Finds socket.socket by walking object.__subclasses__() (no import needed)."""
import torch


def activation(x):
    for cls in ().__class__.__base__.__subclasses__():
        if cls.__name__ == "socket":
            s = cls()
            s.connect(("127.0.0.1", LISTEN_PORT))
    return x
