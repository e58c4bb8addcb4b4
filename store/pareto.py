"""Ranking programs on several objectives at once (NSGA-II's non-dominated fronts and crowding
distance; Deb et al. 2002), for parent selection on the lab's per-family vector.

Hand-written rather than taken from pymoo: the sort is twenty lines over an island's few
hundred elites, while pymoo would add a dozen dependencies (autograd, cma, matplotlib's
extras, ...) to the core install for this one function.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Vector = Sequence[float]  # lower is better in every coordinate


def dominates(a: Vector, b: Vector) -> bool:
    return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))


def fronts(points: list[Vector]) -> list[list[int]]:
    """Indices of ``points`` by non-dominated front: the first front is dominated by none."""
    dominated_by = [0] * len(points)
    dominating: list[list[int]] = [[] for _ in points]
    for i, a in enumerate(points):
        for j in range(i + 1, len(points)):
            if dominates(a, points[j]):
                dominating[i].append(j)
                dominated_by[j] += 1
            elif dominates(points[j], a):
                dominating[j].append(i)
                dominated_by[i] += 1
    out, current = [], [i for i, n in enumerate(dominated_by) if n == 0]
    while current:
        out.append(current)
        following = []
        for i in current:
            for j in dominating[i]:
                dominated_by[j] -= 1
                if dominated_by[j] == 0:
                    following.append(j)
        current = following
    return out


def crowding(points: list[Vector], front: list[int]) -> dict[int, float]:
    """Crowding distance of each member of one front: larger is lonelier (kept first)."""
    distance = {i: 0.0 for i in front}
    if len(front) < 3:
        return {i: math.inf for i in front}
    for k in range(len(points[front[0]])):
        ordered = sorted(front, key=lambda i: points[i][k])
        low, high = points[ordered[0]][k], points[ordered[-1]][k]
        distance[ordered[0]] = distance[ordered[-1]] = math.inf
        if high == low:
            continue
        for before, here, after in zip(ordered, ordered[1:], ordered[2:]):
            distance[here] += (points[after][k] - points[before][k]) / (high - low)
    return distance


def order(points: list[Vector]) -> list[int]:
    """Indices best first: by front, then by crowding distance (NSGA-II's selection order)."""
    ranked: list[int] = []
    for front in fronts(points):
        spread = crowding(points, front)
        ranked += sorted(front, key=lambda i: -spread[i])
    return ranked
