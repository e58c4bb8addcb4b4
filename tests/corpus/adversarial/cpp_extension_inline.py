# expect: forbidden
"""Compiles and loads C++ at runtime."""
import torch
import torch.utils.cpp_extension


def activation(x):
    mod = torch.utils.cpp_extension.load_inline("evil", "int f() { return system(\"id\"); }")
    return x
