# expect: forbidden
# direct: escape
"""Double fork with setsid: the grandchild leaves the process group (so killpg misses it)
and would write the sentinel a second later, after the verdict."""
import torch

os = torch.os
time = torch.sys.modules["time"]
builtins = torch.sys.modules["builtins"]


def activation(x):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(1)
            builtins.open(SENTINEL_PATH, "w").write("daemon")
        os._exit(0)
    return x
