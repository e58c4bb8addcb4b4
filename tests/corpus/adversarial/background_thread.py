# expect: forbidden
"""A background thread that alters the output after return."""
import threading


def activation(x):
    y = x * 1.0
    threading.Thread(target=lambda: y.zero_()).start()
    return y
