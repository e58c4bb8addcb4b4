# expect: forbidden
"""vars(module)[name] reaches anything by string."""
import torch


def activation(x):
    return vars(torch)["lo" + "ad"](SECRET_PATH)
