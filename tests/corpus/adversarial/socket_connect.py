# expect: forbidden
# direct: crashed
"""Connects to a listener on loopback (the test owns it and checks nobody came)."""
import socket

import torch


def activation(x):
    conn = socket.create_connection(("127.0.0.1", LISTEN_PORT), timeout=1)
    conn.sendall(b"hello")
    return x
