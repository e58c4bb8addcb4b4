"""The batched trainer computes exactly what a plain per-task nn.Linear + Adam loop does."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from actmine.evaluators.reference_loop import train_loop
from actmine.evaluators.tasks import get_tasks
from actmine.evaluators.trainer import TrainSpec, lab_matmul_flops, matmul_flops, train_batched
from support import one_thread  # noqa: F401 - autouse

pytestmark = pytest.mark.fast  # make test-fast

# Tasks of widths 1, 2 and 3 in one batch: padding must not change anything.
MIXED = ("square", "feynman_I_14_4", "feynman_I_50_26")
# ... and sequence tasks, trained as their own recurrent batch, between them.
WITH_SEQUENCES = ("square", "running_sum", "feynman_I_14_4", "last_three")


@pytest.mark.parametrize("optimizer,depth,act", [("adam", 2, torch.tanh),
                                                 ("sgd", 1, F.gelu), ("adam", 3, F.silu)])
def test_batched_trainer_matches_the_per_task_loop(optimizer, depth, act):
    spec = TrainSpec(hidden=8, depth=depth, steps=40, lr=1e-2, optimizer=optimizer,
                     n_train=32, n_test=24)
    tasks = get_tasks(MIXED)
    batched = train_batched(act, tasks, (0, 1), spec)
    loop = train_loop(act, tasks, (0, 1), spec)
    assert batched.steps_done == loop.steps_done == 40
    np.testing.assert_allclose(batched.train_mse, loop.train_mse, rtol=1e-4)
    np.testing.assert_allclose(batched.test_mse, loop.test_mse, rtol=1e-4)
    assert (batched.train_mse < 1.0).all()  # it did learn something


def test_sequence_tasks_train_as_the_plain_recurrent_loop_does():
    spec = TrainSpec(hidden=8, steps=40, lr=1e-2, n_train=32, n_test=24)
    tasks = get_tasks(WITH_SEQUENCES)
    batched = train_batched(torch.tanh, tasks, (0, 1), spec)
    loop = train_loop(torch.tanh, tasks, (0, 1), spec)
    np.testing.assert_allclose(batched.train_mse, loop.train_mse, rtol=1e-4)
    np.testing.assert_allclose(batched.test_mse, loop.test_mse, rtol=1e-4)
    alone = train_batched(torch.tanh, get_tasks(["last_three"]), (1,), spec)
    np.testing.assert_allclose(batched.test_mse[3, 1], alone.test_mse[0, 0], rtol=1e-5)


def test_lab_matmul_flops_adds_the_recurrent_cells():
    spec = TrainSpec()
    mlp, seq = get_tasks(["square"]), get_tasks(["running_sum"])
    assert lab_matmul_flops(mlp, 3, spec) == matmul_flops(spec, 3)
    task = seq[0]
    per_sequence = task.length * 2 * (1 + task.hidden) * task.hidden + 2 * task.hidden
    assert lab_matmul_flops(seq, 1, spec, steps=1) > 3 * spec.n_train * per_sequence


def test_a_model_does_not_depend_on_the_rest_of_the_batch():
    spec = TrainSpec(hidden=8, steps=30, n_train=32, n_test=32)
    together = train_batched(torch.tanh, get_tasks(MIXED), (0, 5), spec)
    alone = train_batched(torch.tanh, get_tasks(["feynman_I_50_26"]), (5,), spec)
    np.testing.assert_allclose(together.test_mse[2, 1], alone.test_mse[0, 0], rtol=1e-5)


def test_training_is_bit_identical_on_cpu():
    spec = TrainSpec(hidden=16, steps=50, n_train=48, n_test=48)
    a = train_batched(F.gelu, get_tasks(MIXED), (0, 1), spec)
    b = train_batched(F.gelu, get_tasks(MIXED), (0, 1), spec)
    assert np.array_equal(a.test_mse, b.test_mse) and np.array_equal(a.train_mse, b.train_mse)


def test_a_diverging_activation_stops_training_early():
    spec = TrainSpec(hidden=8, steps=200, n_train=16, n_test=16)
    result = train_batched(torch.log, get_tasks(["square"]), (0,), spec)  # NaN for x < 0
    assert result.steps_done < spec.steps
    assert not np.isfinite(result.test_mse).all()


def test_unknown_optimizer_is_an_error():
    with pytest.raises(ValueError, match="adam"):
        train_batched(torch.tanh, get_tasks(["square"]), (0,), TrainSpec(optimizer="lion", steps=1))


def test_matmul_flops_counts_forward_and_backward():
    spec = TrainSpec(hidden=64, depth=2, steps=1, n_train=256, n_test=256)
    forward = 2 * (3 * 64 + 64 * 64 + 64)  # per sample
    backward = 2 * forward - 2 * 3 * 64  # no gradient for the inputs themselves
    expected = 256 * (forward + backward) + 512 * forward
    assert matmul_flops(spec, models=1) == expected
    assert matmul_flops(spec, models=36, steps=10) == 36 * (10 * 256 * (forward + backward)
                                                            + 512 * forward)
