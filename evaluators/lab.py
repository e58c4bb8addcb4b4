"""Lab fitness: out-of-distribution loss of tiny MLPs relative to ReLU, with a cascade.

    fitness = mean over tasks of log(OOD MSE / ReLU's OOD MSE), seeds averaged per task

Lower is better; 0 is ReLU; -0.69 means half ReLU's extrapolation error on (geometric)
average. The cascade spends little on bad candidates: a probe (is the activation finite,
with finite gradients, over the range pre-activations live in?), a short run (one seed, a
fraction of the steps) against ReLU's short-run reference, and the full run only when the
short fitness is below ``short_threshold``. Nothing here runs untrusted code: it trains on
the IR, through evaluators/kernels.py's faster kernels where they apply.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch
from actmine.sandbox.flops import flops_per_element
from actmine.sandbox.ir import ActivationIR

from .batching import candidate_bytes, fitting_batch, run_in_batches
from .kernels import TRAINING_KERNELS
from .tasks import FAMILIES, TASKS_VERSION, get_tasks
from .trainer import Activation, BatchResult, TrainSpec, train_many

WORST_FITNESS = 10.0  # for candidates whose training diverges (NaN/inf)
# A task's log ratio counts at most +-log(100): beyond 100x better or worse than ReLU a task
# is saturated. Standard activations stay inside this range (the widest, tanh on the
# Gaussian, is -4.8); what the cap removes are degenerate regimes where float noise would
# decide the score: x^2 networks represent the polynomial tasks exactly (OOD MSE 1e-11,
# log ratio -30, while they cannot even fit a sine) and catastrophic blow-ups. It also
# keeps every finite candidate strictly better than a diverged one (WORST_FITNESS).
LOG_RATIO_CAP = math.log(100.0)
LAB_VERSION = 3
PROBE_RANGE = 20.0  # pre-activations of these small nets stay well inside +-20


class LabError(ValueError):
    """A lab configuration that cannot give fitness (one line, for the user to fix)."""


@dataclass(frozen=True)
class LabConfig:
    tasks: tuple[str, ...] = ()  # empty: every task in evaluators/tasks.py
    seeds: tuple[int, ...] = (0, 1, 2)
    train: TrainSpec = field(default_factory=TrainSpec)
    short_fraction: float = 0.25  # of the steps, on the first seed only
    short_threshold: float = 0.5  # run the full stage only if short fitness is below this
    cascade: bool = True
    device: str = "cpu"  # "auto" picks CUDA where the worker has it (resolved there)

    @property
    def hash(self) -> str:
        """Identity of what fitness means: changes whenever the numbers could change."""
        return _digest(self, exclude=("device",))

    @property
    def train_hash(self) -> str:
        """Identity of one training run (the cascade settings do not change it): the key of
        ReLU's reference losses, shared by cascaded and full-only evaluations."""
        return _digest(self, exclude=("device", "short_fraction", "short_threshold", "cascade"))

    def short_stage(self) -> LabConfig:
        steps = max(1, int(round(self.train.steps * self.short_fraction)))
        return replace(self, seeds=self.seeds[:1], train=replace(self.train, steps=steps),
                       cascade=False)

    @classmethod
    def from_dict(cls, data: dict) -> LabConfig:
        data = dict(data)
        train = TrainSpec(**data.pop("train", {}))
        for key in ("tasks", "seeds"):
            if key in data:
                data[key] = tuple(data[key])
        return cls(train=train, **data)


def _digest(config: LabConfig, exclude: tuple[str, ...]) -> str:
    data = asdict(config)
    for key in exclude:
        data.pop(key)
    data.update(lab_version=LAB_VERSION, tasks_version=TASKS_VERSION,
                tasks=list(config.tasks) or [t.name for t in get_tasks()])
    text = json.dumps(data, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TaskScore:
    task: str
    family: str
    train_mse: float  # mean over seeds
    test_mse: float  # mean over seeds (out of distribution)
    log_ratio: float  # log(test_mse / ReLU test_mse)
    relu_test_mse: float = 0.0  # ReLU's OOD MSE on this task (same seeds and steps)


@dataclass(frozen=True)
class StageResult:
    stage: str  # "short" | "full"
    fitness: float
    seconds: float
    tasks: tuple[TaskScore, ...]
    finite: bool
    steps: int = 0  # optimiser steps taken (fewer than configured if training diverged)
    seed_fitness: tuple[float, ...] = ()  # the fitness of each seed alone: its spread

    @property
    def fitness_se(self) -> float:
        """Standard error of the fitness over seeds (0 with one seed)."""
        n = len(self.seed_fitness)
        return float(np.std(self.seed_fitness, ddof=1) / math.sqrt(n)) if n > 1 else 0.0


@dataclass(frozen=True)
class Evaluation:
    """The lab's verdict on one IR under one lab configuration. Crosses into store/, agent/."""

    ir_hash: str
    lab_hash: str
    fitness: float  # of the last stage run; WORST_FITNESS if training diverged
    stage: str  # last stage reached: "probe" (failed it), "short" (pruned) or "full"
    status: str  # "ok" | "pruned" | "non_finite"
    reason: str
    flops: int  # per element, the IR's cost (sandbox/flops.py)
    seconds: float  # wall time of the evaluation (of its whole batch, when batched)
    stages: tuple[StageResult, ...]  # empty when the probe failed
    batch: int = 1  # candidates trained together with this one (seconds / batch: its share)

    @property
    def tasks(self) -> tuple[TaskScore, ...]:
        return self.stages[-1].tasks if self.stages else ()

    @property
    def family_log_ratios(self) -> dict[str, float]:
        out = {}
        for fam in FAMILIES:
            vals = [t.log_ratio for t in self.tasks if t.family == fam]
            if vals:
                out[fam] = float(np.mean(vals))
        return out

    @property
    def train_mse(self) -> float:
        return float(np.mean([t.train_mse for t in self.tasks])) if self.tasks else math.inf

    @property
    def fitness_se(self) -> float:
        return self.stages[-1].fitness_se if self.stages else 0.0

    def to_dict(self) -> dict:
        data = asdict(self)
        data["family_log_ratios"] = self.family_log_ratios
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Evaluation:
        stages = tuple(
            StageResult(s["stage"], s["fitness"], s["seconds"],
                        tuple(TaskScore(**t) for t in s["tasks"]), s["finite"],
                        s.get("steps", 0), tuple(s.get("seed_fitness", ())))
            for s in data["stages"]
        )
        return cls(data["ir_hash"], data["lab_hash"], data["fitness"], data["stage"],
                   data["status"], data["reason"], data["flops"], data["seconds"], stages,
                   data.get("batch", 1))


def relu_ir() -> ActivationIR:
    return ActivationIR.from_dict({"version": 1, "nodes": [
        {"op": "aten.relu.default", "args": [{"ref": 0}], "kwargs": {}}], "output": {"ref": 1}})


def training_callable(ir: ActivationIR) -> Activation:
    return ir.to_callable(TRAINING_KERNELS)


_reference_memo: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def reference_losses(config: LabConfig) -> tuple[np.ndarray, np.ndarray]:
    """ReLU's (train, test) MSE per task and seed for this lab configuration (memoised)."""
    key = config.train_hash
    if key not in _reference_memo:
        result = _train(training_callable(relu_ir()), config)
        if not (np.isfinite(result.test_mse).all() and result.steps_done == config.train.steps):
            raise LabError(f"ReLU's own training diverges in this lab (lr {config.train.lr}, "
                           f"{config.train.optimizer}); lower [lab] lr")
        if not (result.test_mse > 0).all():
            raise LabError("ReLU's out-of-distribution error is 0 on some task; that task "
                           "cannot rank activations")
        _reference_memo[key] = (result.train_mse, result.test_mse)
    return _reference_memo[key]


def device_of(config: LabConfig) -> torch.device:
    """The device this process trains on: "auto" is CUDA where this worker has one."""
    if config.device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(config.device)


def _train(act: Activation, config: LabConfig) -> BatchResult:
    return _train_many([act], config)[0]


def _train_many(acts: list[Activation], config: LabConfig) -> list[BatchResult]:
    device = device_of(config)
    if device.type == "cpu":
        torch.set_num_threads(1)  # one worker, one core; also what keeps CPU runs bit-identical
    return train_many(acts, get_tasks(config.tasks), config.seeds, config.train, device)


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


def run_stages(acts: list[Activation], config: LabConfig, stage: str,
               nodes: int = 8) -> list[StageResult]:
    """One stage for several candidates, trained together in batches that fit the device
    (``nodes``: the largest IR among them, for the memory estimate)."""
    started = time.perf_counter()
    tasks = get_tasks(config.tasks)
    _, ref_test = reference_losses(config)
    device = device_of(config)
    per_candidate = candidate_bytes(config.train, len(tasks) * len(config.seeds), nodes)
    size = fitting_batch(len(acts), per_candidate, device)
    results = run_in_batches(acts, lambda chunk: _train_many(list(chunk), config), size, device)
    seconds = time.perf_counter() - started
    return [_stage_result(r, tasks, ref_test, config, stage, seconds) for r in results]


def _stage_result(result: BatchResult, tasks, ref_test: np.ndarray, config: LabConfig,
                  stage: str, seconds: float) -> StageResult:
    test, train, ref = result.test_mse.mean(axis=1), result.train_mse.mean(axis=1), ref_test.mean(axis=1)
    finite = bool(np.all(np.isfinite(result.test_mse)) and np.all(np.isfinite(result.train_mse))
                  and result.steps_done == config.train.steps)
    scores = []
    for i, task in enumerate(tasks):
        ratio = _capped(math.log(max(test[i], 1e-30) / ref[i])) if finite else WORST_FITNESS
        scores.append(TaskScore(task.name, task.family, float(train[i]), float(test[i]),
                                float(ratio), float(ref[i])))
    if finite:
        fitness = float(np.mean([s.log_ratio for s in scores]))
        per_seed = np.clip(np.log(np.maximum(result.test_mse, 1e-30) / ref_test),
                           -LOG_RATIO_CAP, LOG_RATIO_CAP).mean(axis=0)
        seed_fitness = tuple(float(v) for v in per_seed)
    else:
        fitness, seed_fitness = WORST_FITNESS, ()
    return StageResult(stage, fitness, seconds, tuple(scores), finite,
                       result.steps_done, seed_fitness)


def _capped(log_ratio: float) -> float:
    return min(max(log_ratio, -LOG_RATIO_CAP), LOG_RATIO_CAP)


def _diverged_reason(result: StageResult) -> str:
    bad = [t.task for t in result.tasks if not (math.isfinite(t.train_mse)
                                                 and math.isfinite(t.test_mse))]
    where = f" on {', '.join(bad)}" if bad else ""
    return (f"training diverged (NaN/inf) in the {result.stage} stage at step "
            f"{result.steps}{where}")


def evaluate(ir: ActivationIR, config: LabConfig | None = None) -> Evaluation:
    """Probe, then (cascade) a short run, then the full run for promising candidates."""
    return evaluate_many([ir], config)[0]


def evaluate_many(irs: list[ActivationIR], config: LabConfig | None = None) -> list[Evaluation]:
    """The cascade for a batch of candidates: each stage trains all its survivors at once.
    Every candidate's verdict is the one ``evaluate`` gives it alone."""
    config = config or LabConfig()
    started = time.perf_counter()
    acts = [training_callable(ir) for ir in irs]
    done: dict[int, tuple[list[StageResult], str, str]] = {}  # index -> stages, status, reason
    stages: dict[int, list[StageResult]] = {i: [] for i in range(len(irs))}
    live = []
    for i, act in enumerate(acts):
        reason = probe(act, device_of(config))
        if reason:
            done[i] = ([], "non_finite", f"probe: {reason}")
        else:
            live.append(i)
    plan = [(config.short_stage(), "short")] if config.cascade else []
    for stage_config, stage in plan + [(config, "full")]:
        if not live:
            break
        nodes = max(len(irs[i].nodes) for i in live)
        results = run_stages([acts[i] for i in live], stage_config, stage, nodes)
        survivors = []
        for i, result in zip(live, results):
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


def _finish(ir, config, stages, status, reason, started, batch: int = 1) -> Evaluation:
    fitness = stages[-1].fitness if stages and stages[-1].finite else WORST_FITNESS
    stage = stages[-1].stage if stages else "probe"
    return Evaluation(ir.hash, config.hash, fitness, stage, status, reason,
                      flops_per_element(ir), time.perf_counter() - started, tuple(stages),
                      batch)


def references(config: LabConfig) -> dict:
    """ReLU's losses for every stage of the cascade, keyed by stage train hash (JSON-able)."""
    out = {}
    for stage in ([config.short_stage()] if config.cascade else []) + [config]:
        train, test = reference_losses(stage)
        out[stage.train_hash] = {"train": train.tolist(), "test": test.tolist()}
    return out


def install_references(refs: dict) -> None:
    for key, value in refs.items():
        _reference_memo[key] = (np.asarray(value["train"]), np.asarray(value["test"]))


def json_safe(value):
    """``value`` with every NaN/inf float replaced by None: strict JSON has no NaN, and a
    diverged run's losses are NaN."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


# ----------------------------------------------------- process-pool entry points
def references_json(config_json: str) -> dict:
    return references(LabConfig.from_dict(json.loads(config_json)))


def evaluate_json(ir_json: str, config_json: str, refs: dict | None = None) -> dict:
    """Trusted JSON in, plain dict out (the worker never sees candidate Python)."""
    return evaluate_many_json([ir_json], config_json, refs)[0]


def evaluate_many_json(ir_jsons: list[str], config_json: str,
                       refs: dict | None = None) -> list[dict]:
    """A batch of IRs as JSON in, plain dicts out: what executors send to a worker."""
    if refs:
        install_references(refs)
    irs = [ActivationIR.from_json(text) for text in ir_jsons]
    config = LabConfig.from_dict(json.loads(config_json))
    return [ev.to_dict() for ev in evaluate_many(irs, config)]
