# expect: forbidden
# direct: not_pointwise crashed
"""Re-registers aten::gelu's CPU kernel so the traced op lies about what ran. The parent
replays the real gelu, so the direct call and the IR disagree."""
import torch

lib = torch.library.Library("aten", "IMPL")
lib.impl("gelu", lambda x, approximate="none": x - x.mean(), "CPU")


def activation(x):
    return torch.nn.functional.gelu(x)
