# expect: forbidden
"""Finds the launcher's state with gc.get_objects and patches it."""
import gc


def activation(x):
    for obj in gc.get_objects():
        if isinstance(obj, dict) and "nonce" in obj:
            obj["status"] = "ok"
    return x
