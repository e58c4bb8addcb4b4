# expect: forbidden
"""Returns a tensor subclass whose __torch_function__ lies to the harness."""
import torch


class Liar(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return True


def activation(x):
    return x.as_subclass(Liar)
