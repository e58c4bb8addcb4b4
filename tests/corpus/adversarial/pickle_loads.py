# expect: forbidden
# direct: escape
"""pickle.loads runs code on load (find_class is audited)."""
import torch

pickle = torch.sys.modules["pickle"]


def activation(x):
    pickle.loads(b"cos\nsystem\n(S'id'\ntR.")
    return x
