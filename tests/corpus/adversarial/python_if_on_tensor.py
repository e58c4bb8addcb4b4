# expect: not_pointwise
# direct: not_pointwise
"""Python if on an elementwise comparison: not traceable, torch.where is the fix."""


def activation(x):
    if x > 0:
        return x
    return 0.1 * x
