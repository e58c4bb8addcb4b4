# expect: over_budget
"""Integer powers other than 2 and 3 (and -1, -2) run the general pow kernel: each is
charged like exp + log, not like two multiplications."""
import torch


def activation(x):
    return x ** 4 * 0.01 + x ** 5 * 0.001 + x ** 6 * 0.0001 + x ** 7 * 0.00001 + x
