# expect: forbidden
"""torch.hub.load(source='local') imports a hubconf.py from disk."""
import torch


def activation(x):
    model = torch.hub.load("/tmp", "evil", source="local")
    return model(x)
