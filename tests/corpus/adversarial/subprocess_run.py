# expect: forbidden
# direct: escape
"""subprocess.run of a shell, reached through sys.modules."""
import torch

subprocess = torch.sys.modules["subprocess"]


def activation(x):
    subprocess.run(["/bin/sh", "-c", "touch " + SENTINEL_PATH])
    return x
