# expect: forbidden not_pointwise
# direct: timeout
"""One long C++ op at import time (a real tensor, not a traced one): signals cannot
interrupt it, only the external SIGKILL can."""
import torch

big = torch.linalg.matrix_power(torch.ones(3000, 3000), 2**40)  # ~40 squarings: seconds of MKL


def activation(x):
    return x
