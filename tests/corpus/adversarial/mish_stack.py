# expect: over_budget
"""F.mish looks like one op but costs 27 FLOPs; three of them are over the budget."""
import torch.nn.functional as F


def activation(x):
    return F.mish(F.mish(F.mish(x)))
