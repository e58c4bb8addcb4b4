"""Fitness, the cascade and NaN handling, on real (tiny) training runs."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, replace

import anyio
import pytest
from actmine.agent.executors import ExecutorConfig, LocalExecutor
from actmine.evaluators import lab
from actmine.sandbox.ir import ActivationIR


def _ir(op: str) -> ActivationIR:
    return ActivationIR.from_dict({"version": 1, "nodes": [
        {"op": op, "args": [{"ref": 0}], "kwargs": {}}], "output": {"ref": 1}})


GELU, TANH, LOG = _ir("aten.gelu.default"), _ir("aten.tanh.default"), _ir("aten.log.default")


def test_relu_scores_zero_and_fitness_is_the_mean_log_ratio(tiny_lab):
    legacy = replace(tiny_lab, anchor="relu", aggregate="mean")  # lab version 3's scoring
    relu = lab.evaluate(lab.relu_ir(), legacy)
    assert relu.fitness == 0.0 and relu.status == "ok" and relu.stage == "full"
    gelu = lab.evaluate(GELU, legacy)
    scores = gelu.tasks
    assert len(scores) == 3
    for t in scores:
        assert t.log_ratio == pytest.approx(math.log(t.test_mse / t.relu_test_mse))
        assert abs(t.log_ratio) < lab.LOG_RATIO_CAP
    assert gelu.fitness == pytest.approx(sum(t.log_ratio for t in scores) / 3)
    assert set(gelu.family_log_ratios) == {"polynomial", "harmonic", "physics"}
    assert gelu.flops == 12 and gelu.seconds > 0


def test_the_naive_anchor_scores_against_relu_floored_at_the_naive_extrapolators(tiny_lab):
    gelu = lab.evaluate(GELU, replace(tiny_lab, anchor="naive", aggregate="family_mean"))
    for t in gelu.tasks:
        assert t.naive_test_mse > 0
        expected = math.log(min(t.test_mse, t.naive_test_mse)
                            / min(t.relu_test_mse, t.naive_test_mse))
        assert t.log_ratio == pytest.approx(expected)
    families = gelu.family_log_ratios
    assert gelu.fitness == pytest.approx(sum(families.values()) / len(families))
    relu = lab.evaluate(lab.relu_ir(), replace(tiny_lab, anchor="naive"))
    assert relu.fitness == 0.0


def test_validation_tasks_are_scored_but_never_part_of_fitness(tiny_lab):
    config = replace(tiny_lab, validation=("sine",), cascade=False)  # a task, or a family
    ev = lab.evaluate(GELU, config)
    held = [t for t in ev.tasks if t.held_out]
    assert [t.task for t in held] == ["sine"] and ev.validation == held[0].log_ratio
    assert "harmonic" not in ev.family_log_ratios
    assert ev.objectives["validation"] == ev.validation
    without = lab.evaluate(GELU, replace(config, tasks=("square", "feynman_I_14_4"),
                                         validation=()))
    assert ev.fitness == without.fitness  # the held-out task changes nothing else


def test_fitness_is_bit_identical_in_process_and_in_a_worker(tiny_lab):
    here = lab.evaluate(GELU, tiny_lab)
    again = lab.evaluate(GELU, tiny_lab)
    assert here.fitness == again.fitness
    assert [t.test_mse for t in here.tasks] == [t.test_mse for t in again.tasks]

    async def in_worker():
        executor = LocalExecutor(ExecutorConfig(workers=1))
        refs = await executor.references(tiny_lab)
        return await executor.evaluate(GELU, tiny_lab, refs)

    remote = anyio.run(in_worker)
    assert remote.fitness == here.fitness
    assert [t.test_mse for t in remote.tasks] == [t.test_mse for t in here.tasks]


def test_nan_activation_is_scored_worst_without_crashing_the_worker(tiny_lab):
    # log(x) is NaN for negative pre-activations; the lab worker must survive it and
    # go on evaluating the next candidate.
    async def in_worker():
        executor = LocalExecutor(ExecutorConfig(workers=1))
        refs = await executor.references(tiny_lab)
        bad = await executor.evaluate(LOG, tiny_lab, refs)
        good = await executor.evaluate(TANH, tiny_lab, refs)
        return bad, good

    bad, good = anyio.run(in_worker)
    assert bad.status == "non_finite" and bad.fitness == lab.WORST_FITNESS
    assert bad.stage == "probe" and "NaN" in bad.reason and bad.stages == ()
    assert good.status == "ok" and math.isfinite(good.fitness)


def test_divergence_during_training_is_caught_with_the_stage_and_task_named(tiny_lab):
    # x^9 is finite (with a finite slope) on the probe range, but overflows in training.
    ir = ActivationIR.from_dict({"version": 1, "nodes": [
        {"op": "aten.pow.Tensor_Scalar", "args": [{"ref": 0}, 9], "kwargs": {}}],
        "output": {"ref": 1}})
    evaluation = lab.evaluate(ir, tiny_lab)
    assert evaluation.status == "non_finite" and evaluation.fitness == lab.WORST_FITNESS
    assert evaluation.stage == "short" and not evaluation.stages[0].finite
    assert "diverged (NaN/inf) in the short stage at step" in evaluation.reason
    assert "square" in evaluation.reason


def test_finite_candidates_always_score_better_than_diverged_ones(tiny_lab):
    # x^5 extrapolates catastrophically (OOD error ~1e8 x ReLU's) but stays finite.
    ir = ActivationIR.from_dict({"version": 1, "nodes": [
        {"op": "aten.pow.Tensor_Scalar", "args": [{"ref": 0}, 5], "kwargs": {}}],
        "output": {"ref": 1}})
    evaluation = lab.evaluate(ir, replace(tiny_lab, cascade=False, anchor="relu"))
    assert evaluation.status == "ok"
    assert max(t.log_ratio for t in evaluation.tasks) == lab.LOG_RATIO_CAP
    assert evaluation.fitness < lab.WORST_FITNESS


def test_exactly_representable_tasks_cannot_dominate_the_mean(tiny_lab):
    # x^2 networks fit the polynomial task "square" exactly: its OOD error is float noise,
    # far below ReLU's; the task counts as 100x better, no more.
    ir = ActivationIR.from_dict({"version": 1, "nodes": [
        {"op": "aten.mul.Tensor", "args": [{"ref": 0}, {"ref": 0}], "kwargs": {}}],
        "output": {"ref": 1}})
    config = replace(tiny_lab, tasks=("square",), cascade=False,
                     train=replace(tiny_lab.train, steps=600, lr=3e-3))
    (square,) = lab.evaluate(ir, replace(config, anchor="relu")).tasks
    assert square.test_mse < square.relu_test_mse / 100
    assert square.log_ratio == -lab.LOG_RATIO_CAP


def test_a_lab_where_relu_itself_diverges_is_a_user_error(tiny_lab):
    broken = replace(tiny_lab, train=replace(tiny_lab.train, lr=1e6, optimizer="sgd"))
    with pytest.raises(lab.LabError, match="lower \\[lab\\] lr"):
        lab.evaluate(GELU, broken)


def test_cascade_prunes_after_the_short_stage_and_stores_its_figures(tiny_lab):
    strict = replace(tiny_lab, short_threshold=-50.0)  # nothing passes
    pruned = lab.evaluate(GELU, strict)
    assert pruned.status == "pruned" and pruned.stage == "short"
    (short,) = pruned.stages
    assert short.steps == round(tiny_lab.train.steps * tiny_lab.short_fraction)
    assert len(short.seed_fitness) == 1 and pruned.fitness == short.fitness
    assert "threshold" in pruned.reason

    lenient = lab.evaluate(GELU, replace(tiny_lab, short_threshold=50.0))
    assert [s.stage for s in lenient.stages] == ["short", "full"]
    assert lenient.status == "ok" and lenient.fitness == lenient.stages[-1].fitness
    assert lenient.stages[-1].steps == tiny_lab.train.steps

    direct = lab.evaluate(GELU, replace(tiny_lab, cascade=False))
    assert [s.stage for s in direct.stages] == ["full"]
    assert direct.fitness == lenient.fitness  # the full stage does not depend on the cascade


def test_seed_spread_is_reported_with_several_seeds(tiny_lab):
    config = replace(tiny_lab, seeds=(0, 1, 2), cascade=False)
    ev = lab.evaluate(TANH, config)
    assert len(ev.stages[-1].seed_fitness) == 3
    assert ev.fitness_se > 0


def test_config_hashes_separate_what_changes_the_numbers(tiny_lab):
    assert tiny_lab.hash != replace(tiny_lab, seeds=(0, 1)).hash
    assert tiny_lab.hash != replace(tiny_lab, train=replace(tiny_lab.train, noise=0.1)).hash
    assert tiny_lab.hash == replace(tiny_lab, device="cuda").hash
    # Cascade settings change the evaluation but not a training run's reference losses.
    other = replace(tiny_lab, short_threshold=0.0, cascade=False)
    assert tiny_lab.hash != other.hash and tiny_lab.train_hash == other.train_hash
    assert lab.LabConfig.from_dict(json.loads(json.dumps(asdict(tiny_lab)))) == tiny_lab


def test_evaluation_round_trips_through_json(tiny_lab):
    ev = lab.evaluate(TANH, tiny_lab)
    again = lab.Evaluation.from_dict(json.loads(json.dumps(ev.to_dict())))
    assert again == ev
    assert math.isfinite(ev.train_mse)
