# expect: forbidden
# direct: crashed
"""torch.from_file opens files in C++, invisible to audit hooks: only Landlock (or the
uid drop) stops it. It runs at import time, on real tensors (inside the trace it would
only meet fake ones), and the secret would leak through the error message."""
import torch

builtins = torch.sys.modules["builtins"]
data = torch.from_file(SECRET_PATH, size=31, dtype=torch.uint8)
leak = builtins.bytes(data.tolist()).decode()


def activation(x):
    raise builtins.ValueError(leak)
