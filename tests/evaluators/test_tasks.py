"""The task table: its families, disjoint train/test ranges (in-box tests for potency),
deterministic data, and the default and legacy selections."""

from __future__ import annotations

import numpy as np
import pytest
from actmine.evaluators.tasks import (
    DEFAULT_TASKS,
    DEFAULT_VALIDATION,
    FAMILIES,
    LEGACY_TASKS,
    MAX_INPUTS,
    TASKS,
    SequenceTask,
    UnknownTask,
    get_tasks,
)

pytestmark = pytest.mark.fast  # make test-fast

FUNCTION_TASKS = [t for t in TASKS if t.kind == "mlp"]
SEQUENCE_TASKS = [t for t in TASKS if t.kind == "recurrent"]


def test_families_tasks_and_the_default_and_legacy_selections():
    for family in ("polynomial", "harmonic", "physics"):
        assert sum(t.family == family for t in TASKS) >= 4, family
    assert {t.family for t in TASKS} == set(FAMILIES)
    names = {t.name for t in TASKS}
    assert set(DEFAULT_TASKS) <= names and set(DEFAULT_VALIDATION) <= names
    assert not set(DEFAULT_TASKS) & set(DEFAULT_VALIDATION)
    assert len(LEGACY_TASKS) == 12 and set(LEGACY_TASKS) <= names
    default_families = {t.family for t in get_tasks(DEFAULT_TASKS)}
    held_out_families = {t.family for t in get_tasks(DEFAULT_VALIDATION)}
    assert held_out_families <= default_families  # one held-out task per family, at most
    assert len({t.name for t in TASKS}) == len(TASKS)
    assert {t.family for t in SEQUENCE_TASKS} == {"length"} and SEQUENCE_TASKS
    physics_widths = {t.n_inputs for t in TASKS if t.family == "physics"}
    assert physics_widths == {1, 2, 3}  # Feynman formulas with one to three inputs
    assert max(t.n_inputs for t in TASKS) <= MAX_INPUTS


@pytest.mark.parametrize("task", FUNCTION_TASKS, ids=lambda t: t.name)
def test_train_range_and_test_bands_are_disjoint(task):
    lo, hi = task.train_range
    assert lo < hi
    if task.family == "potency":  # fitting in distribution: tested on the training box
        assert task.test_bands == (task.train_range,)
        return
    for band_lo, band_hi in task.test_bands:
        assert band_lo < band_hi
        assert band_lo >= hi or band_hi <= lo, f"{task.name}: band overlaps the train range"


@pytest.mark.parametrize("task", FUNCTION_TASKS, ids=lambda t: t.name)
def test_data_is_deterministic_standardised_and_test_inputs_are_outside(task):
    a, b = task.sample(200, 100, seed=3), task.sample(200, 100, seed=3)
    for field in ("x_train", "y_train", "x_test", "y_test"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    other = task.sample(200, 100, seed=4)
    assert not np.array_equal(a.x_train, other.x_train)
    assert a.x_train.shape == (200, task.n_inputs) and a.y_test.shape == (100,)
    lo, hi = task.train_range
    assert ((a.x_train >= lo) & (a.x_train <= hi)).all()
    if task.family == "potency":
        assert ((a.x_test >= lo) & (a.x_test <= hi)).all()
    else:
        assert ((a.x_test <= lo) | (a.x_test >= hi)).all()
    # Standardised with train statistics: train targets have mean 0 and std 1.
    assert abs(float(a.y_train.mean())) < 1e-4 and abs(float(a.y_train.std()) - 1) < 1e-3
    assert np.isfinite(a.y_test).all()


@pytest.mark.parametrize("task", SEQUENCE_TASKS, ids=lambda t: t.name)
def test_sequence_tasks_test_on_longer_sequences_of_the_same_inputs(task: SequenceTask):
    a, b = task.sample(200, 100, seed=3), task.sample(200, 100, seed=3)
    for field in ("x_train", "y_train", "x_test", "y_test"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert a.x_train.shape == (200, task.length) and a.x_test.shape == (100, task.test_length)
    assert task.test_length > task.length  # out of distribution in the number of steps
    lo, hi = task.input_range
    assert ((a.x_test >= lo) & (a.x_test <= hi)).all()  # ... and only in that
    assert abs(float(a.y_train.mean())) < 1e-4 and abs(float(a.y_train.std()) - 1) < 1e-3


def test_noise_only_touches_train_targets():
    task = get_tasks(["sine"])[0]
    clean = task.sample(64, 64, seed=0)
    noisy = task.sample(64, 64, seed=0, default_noise=0.1)
    assert np.array_equal(clean.x_train, noisy.x_train)
    assert np.array_equal(clean.y_test, noisy.y_test)
    residual = float(np.std(noisy.y_train - clean.y_train))
    assert 0.05 < residual < 0.15


def test_unknown_task_names_are_reported():
    with pytest.raises(UnknownTask, match="nope"):
        get_tasks(["square", "nope"])
    assert get_tasks(["cubic", "square"])[0].name == "cubic"
    assert [t.name for t in get_tasks()] == list(DEFAULT_TASKS)
