"""ELU (Clevert et al., 2015)."""
import torch.nn.functional as F


def activation(x):
    return F.elu(x)
