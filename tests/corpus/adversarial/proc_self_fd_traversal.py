# expect: forbidden
# direct: escape
"""A path that starts with /proc/self/fd but resolves elsewhere (here the environment):
judged after resolving, not by its prefix."""
import torch


def activation(x):
    fd = torch.os.open("/proc/self/fd/../environ", torch.os.O_RDONLY)
    torch.os.read(fd, 4096)
    return x
