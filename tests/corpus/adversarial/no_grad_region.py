# expect: forbidden
# direct: not_pointwise
"""Part of the function computed with gradients switched off (entered by hand, no 'with'):
a graph records the same ops either way, so the IR would train tanh's slope that the
source never had. The source's gradient and the IR's differ."""
import torch


def activation(x):
    guard = torch.no_grad()
    guard.__enter__()
    y = torch.tanh(x)
    guard.__exit__(None, None, None)
    return y + 0.1 * x
