# expect: forbidden
# direct: not_pointwise
"""Steps outside the tracer to compute a hidden batch statistic; the graph then embeds a
FakeTensor constant, which must be refused."""
import torch

modes = torch.sys.modules["torch.utils._python_dispatch"]


def activation(x):
    with modes._disable_current_modes():
        m = x.mean()
    return x - m
