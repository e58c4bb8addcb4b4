"""From per-task errors to fitness: how a task is scored, and how tasks are combined.

A task's score compares the candidate's out-of-distribution error with ReLU's on the same
task (0 is ReLU, negative is better), capped at +-log(100):

    anchor = "relu"    log(mse / ReLU's mse)                          (lab version 3)
    anchor = "naive"   log(min(mse, N) / min(ReLU's mse, N))

where N is the error of the task's best naive extrapolator (the training mean, or a linear
fit: lab/naive.py). With the naive anchor, getting closer to a flat or straight line earns
nothing: only error below what a naive extrapolator achieves counts, so a network that
merely goes flat on a periodic task scores as ReLU does, and a decaying target cannot hand
a bounded function a hundredfold "win" for predicting a constant.

Tasks are combined by ``aggregate``:

    "mean"          mean over tasks (lab version 3)
    "family_mean"   mean over task families of each family's mean: every kind of
                    generalisation weighs the same, however many tasks it has
    "worst_family"  the worst family's mean: a function must not fail any kind
"""

from __future__ import annotations

import math

import numpy as np

LOG_RATIO_CAP = math.log(100.0)
ANCHORS = ("relu", "naive")
AGGREGATES = ("mean", "family_mean", "worst_family")


def task_scores(test: np.ndarray, relu: np.ndarray, naive: np.ndarray,
                anchor: str) -> np.ndarray:
    """Capped log ratios, elementwise (any shape): candidate's error against ReLU's."""
    test = np.maximum(test, 1e-30)
    if anchor == "naive":
        test, relu = np.minimum(test, naive), np.minimum(relu, naive)
    return np.clip(np.log(test / relu), -LOG_RATIO_CAP, LOG_RATIO_CAP)


def aggregate(scores: np.ndarray, families: list[str], how: str) -> np.ndarray:
    """Fitness from task scores (tasks on axis 0; any trailing axes, e.g. seeds)."""
    if how == "mean":
        return scores.mean(axis=0)
    by_family = np.stack([scores[[f == fam for f in families]].mean(axis=0)
                          for fam in dict.fromkeys(families)])
    if how == "family_mean":
        return by_family.mean(axis=0)
    if how == "worst_family":
        return by_family.max(axis=0)
    raise ValueError(f"unknown aggregate {how!r}; use one of {', '.join(AGGREGATES)}")
