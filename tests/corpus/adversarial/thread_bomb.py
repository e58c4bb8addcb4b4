# expect: forbidden
# direct: crashed timeout
"""Starts threads without end: RLIMIT_NPROC on the dedicated uid counts threads too, so
thread creation fails after a few."""
import torch

threading = torch.sys.modules["threading"]


def spin():
    while True:
        pass


def activation(x):
    while True:
        threading.Thread(target=spin).start()
