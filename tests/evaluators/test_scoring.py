"""Task scores and their aggregation (evaluators/lab/scoring.py), and the naive
extrapolators they are anchored at (evaluators/lab/naive.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from actmine.evaluators.lab import LabConfig
from actmine.evaluators.lab.naive import naive_losses
from actmine.evaluators.lab.scoring import LOG_RATIO_CAP, aggregate, task_scores
from actmine.evaluators.trainer import TrainSpec

pytestmark = pytest.mark.fast


def test_relu_anchor_is_the_capped_log_ratio():
    scores = task_scores(np.array([1.0, 0.5, 1e-9, 1e9]), np.array([1.0, 1.0, 1.0, 1.0]),
                         np.array([0.1] * 4), "relu")
    assert scores.tolist() == pytest.approx([0.0, math.log(0.5), -LOG_RATIO_CAP, LOG_RATIO_CAP])


def test_naive_anchor_gives_nothing_for_getting_closer_to_flat():
    # A periodic task: the mean predictor errs 1.0, ReLU 13, a flat network 2, a periodic one 0.3.
    relu, naive = np.array([13.0] * 3), np.array([1.0] * 3)
    flat, periodic, relu_again = task_scores(np.array([2.0, 0.3, 13.0]), relu, naive, "naive")
    assert flat == 0.0 and relu_again == 0.0  # both are no better than predicting the mean
    assert periodic == pytest.approx(math.log(0.3))
    # Where ReLU beats the naive extrapolators, the anchor changes nothing.
    assert task_scores(np.array([0.2]), np.array([0.4]), np.array([5.0]), "naive")[0] == \
        pytest.approx(math.log(0.5))


def test_aggregates_weigh_tasks_families_or_the_worst_family():
    scores = np.array([-1.0, -1.0, -1.0, 0.5])
    families = ["a", "a", "a", "b"]
    assert aggregate(scores, families, "mean") == pytest.approx(-0.625)
    assert aggregate(scores, families, "family_mean") == pytest.approx(-0.25)
    assert aggregate(scores, families, "worst_family") == pytest.approx(0.5)
    per_seed = np.array([[-1.0, 0.0], [1.0, 2.0]])  # tasks x seeds
    assert aggregate(per_seed, ["a", "b"], "family_mean").tolist() == [0.0, 1.0]
    with pytest.raises(ValueError, match="unknown aggregate"):
        aggregate(scores, families, "median")


def test_naive_extrapolators_from_the_labs_own_data():
    config = LabConfig(tasks=("abs", "trend_sine", "ripple"), seeds=(0, 1),
                       train=TrainSpec(n_train=256, n_test=256))
    mean, linear = naive_losses(config)
    assert mean.shape == linear.shape == (3, 2) and (mean > 0).all() and (linear > 0).all()
    flat = mean.mean(axis=1)
    assert linear[1].mean() < flat[1]  # a line follows x + 0.5 sin(2 pi x)'s trend
    assert 0.5 < flat[2] < 1.5  # in the box, the mean predictor errs by about the variance
    assert flat[0] > 1.0  # |x| keeps growing where a constant stays
