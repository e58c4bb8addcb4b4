"""Lab fitness: out-of-distribution loss of tiny MLPs relative to ReLU, with a cascade.

    fitness = mean over tasks of log(OOD MSE / ReLU's OOD MSE), seeds averaged per task

Lower is better; 0 is ReLU; -0.69 means half ReLU's extrapolation error on (geometric)
average. The cascade spends little on bad candidates: a probe (is the activation finite,
with finite gradients, over the range pre-activations live in?), a short run (one seed, a
fraction of the steps) against ReLU's short-run reference, and the full run only when the
short fitness is below ``short_threshold``. Nothing here runs untrusted code: it trains on
the IR, through evaluators/kernels.py's faster kernels where they apply.

Candidates of one batch are trained together, but a candidate can only fail itself: one
whose activation raises while probed or trained gets status "error" and the worst fitness,
and the others keep the results they would get alone.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from actmine.sandbox.flops import flops_per_element
from actmine.sandbox.ir import ActivationIR

from ..batching import Failed, fitting_batch, lab_candidate_bytes, run_in_batches
from ..trainer import Activation, BatchResult
from .config import LabConfig, device_of
from .naive import naive_losses
from .records import WORST_FITNESS, Evaluation, StageResult, TaskScore
from .references import References, compute_references
from .scoring import aggregate, task_scores
from .training import train_together, training_callable

PROBE_RANGE = 20.0  # pre-activations of these small nets stay well inside +-20


def probe(act: Activation, device: torch.device | str = "cpu") -> str:
    """Why the activation cannot be trained (non-finite value or slope), or "" if it can."""
    x = torch.linspace(-PROBE_RANGE, PROBE_RANGE, 4001, device=device, requires_grad=True)
    y = act(x)
    if not bool(torch.isfinite(y).all()):
        bad = float(x.detach()[~torch.isfinite(y)][0])
        return f"the activation is NaN/inf at x = {bad:.3g}"
    (grad,) = torch.autograd.grad(y.sum(), x)
    if not bool(torch.isfinite(grad).all()):
        bad = float(x.detach()[~torch.isfinite(grad)][0])
        return f"the activation's gradient is NaN/inf at x = {bad:.3g}"
    return ""


def run_stages(acts: list[Activation], config: LabConfig, stage: str, references: References,
               nodes: int = 8) -> list[StageResult | Failed]:
    """One stage for several candidates, trained together in batches that fit the device
    (``nodes``: the largest IR among them, for the memory estimate)."""
    started = time.perf_counter()
    tasks = config.all_tasks()
    _, ref_test = references.of(config)
    device = device_of(config)
    per_candidate = lab_candidate_bytes(tasks, len(config.seeds), config.train, nodes)
    size = fitting_batch(len(acts), per_candidate, device)
    results = run_in_batches(acts, lambda chunk: train_together(list(chunk), config), size,
                             device)
    seconds = time.perf_counter() - started
    return [r if isinstance(r, Failed) else _stage_result(r, tasks, ref_test, config, stage,
                                                           seconds)
            for r in results]


def _stage_result(result: BatchResult, tasks, ref_test: np.ndarray, config: LabConfig,
                  stage: str, seconds: float) -> StageResult:
    finite = bool(np.all(np.isfinite(result.test_mse)) and np.all(np.isfinite(result.train_mse))
                  and result.steps_done == config.train.steps)
    mean_naive, linear_naive = naive_losses(config)
    naive_seeds = np.minimum(mean_naive, linear_naive)  # the best naive extrapolator, per seed
    test, train = result.test_mse.mean(axis=1), result.train_mse.mean(axis=1)
    ref, naive = ref_test.mean(axis=1), naive_seeds.mean(axis=1)
    families = [task.family for task in tasks]
    held_out = np.array([task in config.validation_tasks() for task in tasks])
    selected = ~held_out
    validation = None
    if finite:
        scores = task_scores(test, ref, naive, config.anchor)
        # Fitness is the selection tasks' alone; the held-out ones are a separate figure.
        picked = [f for f, keep in zip(families, selected) if keep]
        fitness = float(aggregate(scores[selected], picked, config.aggregate))
        per_seed = aggregate(task_scores(result.test_mse, ref_test, naive_seeds,
                                         config.anchor)[selected], picked, config.aggregate)
        seed_fitness = tuple(float(v) for v in per_seed)
        if held_out.any():
            validation = float(aggregate(scores[held_out],
                                         [f for f, out in zip(families, held_out) if out],
                                         config.aggregate))
    else:
        scores = np.full(len(tasks), WORST_FITNESS)
        fitness, seed_fitness = WORST_FITNESS, ()
    rows = tuple(TaskScore(task.name, task.family, float(train[i]), float(test[i]),
                           float(scores[i]), float(ref[i]), float(naive[i]), bool(held_out[i]))
                 for i, task in enumerate(tasks))
    return StageResult(stage, fitness, seconds, rows, finite, result.steps_done, seed_fitness,
                       validation)


def _diverged_reason(result: StageResult) -> str:
    bad = [t.task for t in result.tasks if not (math.isfinite(t.train_mse)
                                                 and math.isfinite(t.test_mse))]
    where = f" on {', '.join(bad)}" if bad else ""
    return (f"training diverged (NaN/inf) in the {result.stage} stage at step "
            f"{result.steps}{where}")


def evaluate(ir: ActivationIR, config: LabConfig | None = None,
             references: References | None = None) -> Evaluation:
    """Probe, then (cascade) a short run, then the full run for promising candidates."""
    return evaluate_many([ir], config, references)[0]


def evaluate_many(irs: list[ActivationIR], config: LabConfig | None = None,
                  references: References | None = None) -> list[Evaluation]:
    """The cascade for a batch of candidates: each stage trains all its survivors at once.
    Every candidate's verdict is the one ``evaluate`` gives it alone. ``references`` are
    ReLU's losses for this lab (``compute_references``; trained here when not given)."""
    config = config or LabConfig()
    references = references or compute_references(config)
    started = time.perf_counter()
    done: dict[int, tuple[list[StageResult], str, str]] = {}  # index -> stages, status, reason
    stages: dict[int, list[StageResult]] = {i: [] for i in range(len(irs))}
    acts: dict[int, Activation] = {}
    for i, ir in enumerate(irs):
        try:
            acts[i] = training_callable(ir)
            reason = probe(acts[i], device_of(config))
        except Exception as exc:  # noqa: BLE001 - the candidate's verdict, not the batch's
            done[i] = ([], "error", _one_line(f"probe: the activation raised "
                                              f"{type(exc).__name__}: {exc}"))
            continue
        if reason:
            done[i] = ([], "non_finite", f"probe: {reason}")
    live = [i for i in range(len(irs)) if i not in done]
    for stage_config, stage in config.stages():
        if not live:
            break
        nodes = max(len(irs[i].nodes) for i in live)
        results = run_stages([acts[i] for i in live], stage_config, stage, references, nodes)
        survivors = []
        for i, result in zip(live, results):
            if isinstance(result, Failed):
                done[i] = (stages[i], "error", f"{stage} stage: {result.reason}")
                continue
            stages[i].append(result)
            if not result.finite:
                done[i] = (stages[i], "non_finite", _diverged_reason(result))
            elif stage == "short" and result.fitness >= config.short_threshold:
                done[i] = (stages[i], "pruned", f"short-stage fitness {result.fitness:.3f} is "
                           f"not below the threshold {config.short_threshold}")
            elif stage == "full":
                done[i] = (stages[i], "ok", "")
            else:
                survivors.append(i)
        live = survivors
    return [_finish(irs[i], config, *done[i], started, len(irs)) for i in range(len(irs))]


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


def _finish(ir, config, stages, status, reason, started, batch: int = 1) -> Evaluation:
    ok = status in ("ok", "pruned") and stages and stages[-1].finite
    fitness = stages[-1].fitness if ok else WORST_FITNESS
    stage = stages[-1].stage if stages else "probe"
    return Evaluation(ir.hash, config.hash, fitness, stage, status, reason,
                      flops_per_element(ir), time.perf_counter() - started, tuple(stages),
                      batch)
