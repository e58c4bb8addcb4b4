"""The lab on real (tiny) training runs."""

from __future__ import annotations

import math

import numpy as np
import torch
from actmine.evaluators import lab
from actmine.evaluators.tasks import FAMILIES, TASKS
from actmine.sandbox.ir import ActivationIR


def _ir(op: str) -> ActivationIR:
    return ActivationIR.from_dict({"version": 1, "nodes": [
        {"op": op, "args": [{"ref": 0}], "kwargs": {}}], "output": {"ref": 1}})


def test_task_table_has_three_families_with_disjoint_ranges():
    for family in FAMILIES:
        assert sum(t.family == family for t in TASKS) >= 4
    for task in TASKS:
        lo, hi = task.train_range
        for band_lo, band_hi in task.test_bands:
            assert band_lo >= hi or band_hi <= lo, task.name


def test_task_data_is_deterministic_and_test_inputs_are_out_of_distribution():
    for task in TASKS:
        a, b = task.sample(32, 32, seed=3), task.sample(32, 32, seed=3)
        assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
        lo, hi = task.train_range
        outside = (a.x_test <= lo) | (a.x_test >= hi)
        assert outside.all(), task.name


def test_relu_scores_zero_and_fitness_is_bit_identical(tiny_lab):
    relu = lab.evaluate(lab.relu_ir(), tiny_lab)
    assert relu.fitness == 0.0 and relu.status == "ok"
    gelu1 = lab.evaluate(_ir("aten.gelu.default"), tiny_lab)
    gelu2 = lab.evaluate(_ir("aten.gelu.default"), tiny_lab)
    assert gelu1.fitness == gelu2.fitness
    assert [t.test_mse for t in gelu1.tasks] == [t.test_mse for t in gelu2.tasks]


def test_nan_activation_gets_the_worst_score_without_crashing(tiny_lab):
    # log(x) is NaN for negative pre-activations: training diverges.
    evaluation = lab.evaluate(_ir("aten.log.default"), tiny_lab)
    assert evaluation.status == "non_finite"
    assert evaluation.fitness == lab.WORST_FITNESS
    assert "NaN" in evaluation.reason


def test_evaluation_round_trips_through_json(tiny_lab):
    ev = lab.evaluate(_ir("aten.tanh.default"), tiny_lab)
    again = lab.Evaluation.from_dict(ev.to_dict())
    assert again == ev
    assert set(ev.family_log_ratios) <= set(FAMILIES)
    assert math.isfinite(ev.train_mse)


def test_padded_inputs_do_not_change_training():
    """A 1-input task trained in the batch equals the same task trained alone."""
    from actmine.evaluators.tasks import get_tasks
    from actmine.evaluators.trainer import TrainSpec, train_batched

    spec = TrainSpec(hidden=8, steps=20, n_train=32, n_test=32)
    tasks = get_tasks(["square", "feynman_I_50_26"])
    together = train_batched(torch.tanh, tasks, (0,), spec)
    alone = train_batched(torch.tanh, tasks[:1], (0,), spec)
    assert np.allclose(together.test_mse[0], alone.test_mse[0], rtol=1e-5)
