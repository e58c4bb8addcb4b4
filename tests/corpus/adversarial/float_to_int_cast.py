# expect: forbidden
"""A cast of large floats to int64 (type_as an integer tensor): out-of-range values are
undefined in C++ and differ between CPU and GPU."""
import torch


def activation(x):
    return (x * 100000.0).type_as((x > 0) * 1).float() * 0.00001
