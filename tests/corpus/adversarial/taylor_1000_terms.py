# expect: over_budget
"""A 1,000-term series hides its cost in a loop."""


def activation(x):
    total = x * 0
    term = x * 0 + 1
    for k in range(1, 1000):
        term = term * x / k
        total = total + term
    return total
