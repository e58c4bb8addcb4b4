# expect: forbidden
# direct: timeout
"""Ignores SIGTERM/SIGALRM and blocks every signal it can, then spins: only SIGKILL works."""
import torch

signal = torch.sys.modules["signal"]


def activation(x):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, range(1, signal.NSIG))
    while True:
        pass
