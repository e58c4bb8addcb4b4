# expect: forbidden
"""torch.tensor() of an expression silently cuts its gradient (a straight-through
estimator in disguise); only numbers may be wrapped."""
import torch


def activation(x):
    return x + torch.tensor(-(torch.round(x) - x))
