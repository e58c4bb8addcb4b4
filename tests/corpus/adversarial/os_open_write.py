# expect: forbidden
# direct: escape
"""Creates a file with os.open, reached through torch's own reference to os."""
import torch


def activation(x):
    fd = torch.os.open(SENTINEL_PATH, torch.os.O_CREAT | torch.os.O_WRONLY, 0o644)
    torch.os.write(fd, b"escaped")
    return x
