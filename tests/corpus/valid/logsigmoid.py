"""Log-sigmoid."""
import torch.nn.functional as F


def activation(x):
    return F.logsigmoid(x)
