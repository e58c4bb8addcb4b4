"""Lab fitness: out-of-distribution loss of tiny MLPs relative to ReLU, with a cascade.

    fitness = mean over tasks of log(OOD MSE / ReLU's OOD MSE), seeds averaged per task

Lower is better; 0 is ReLU; -0.69 means half ReLU's extrapolation error on (geometric)
average. The cascade spends little on bad candidates: a short run (one seed, a fraction of
the steps) against ReLU's short-run reference, and the full run only when the short
fitness is below ``short_threshold``. Nothing here runs untrusted code: it trains on the IR.
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

from .tasks import FAMILIES, TASKS_VERSION, get_tasks
from .trainer import TrainSpec, train_batched

WORST_FITNESS = 10.0  # for candidates whose training diverges (NaN/inf)
LAB_VERSION = 1


@dataclass(frozen=True)
class LabConfig:
    tasks: tuple[str, ...] = ()  # empty: every task in evaluators/tasks.py
    seeds: tuple[int, ...] = (0, 1, 2)
    train: TrainSpec = field(default_factory=TrainSpec)
    short_fraction: float = 0.25  # of the steps, on the first seed only
    short_threshold: float = 0.5  # run the full stage only if short fitness is below this
    cascade: bool = True
    device: str = "cpu"

    @property
    def hash(self) -> str:
        """Identity of what fitness means: changes whenever the numbers could change."""
        data = asdict(self)
        data.pop("device")
        data.update(lab_version=LAB_VERSION, tasks_version=TASKS_VERSION,
                    tasks=list(self.tasks) or [t.name for t in get_tasks()])
        text = json.dumps(data, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

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


@dataclass(frozen=True)
class TaskScore:
    task: str
    family: str
    train_mse: float  # mean over seeds
    test_mse: float  # mean over seeds (out of distribution)
    log_ratio: float  # log(test_mse / ReLU test_mse)


@dataclass(frozen=True)
class StageResult:
    stage: str  # "short" | "full"
    fitness: float
    seconds: float
    tasks: tuple[TaskScore, ...]
    finite: bool


@dataclass(frozen=True)
class Evaluation:
    """The lab's verdict on one IR under one lab configuration. Crosses into store/, agent/."""

    ir_hash: str
    lab_hash: str
    fitness: float  # of the last stage run; WORST_FITNESS if training diverged
    stage: str  # last stage reached: "short" (pruned) or "full"
    status: str  # "ok" | "pruned" | "non_finite"
    reason: str
    flops: int
    seconds: float
    stages: tuple[StageResult, ...]

    @property
    def tasks(self) -> tuple[TaskScore, ...]:
        return self.stages[-1].tasks

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
        return float(np.mean([t.train_mse for t in self.tasks]))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["family_log_ratios"] = self.family_log_ratios
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Evaluation:
        stages = tuple(
            StageResult(s["stage"], s["fitness"], s["seconds"],
                        tuple(TaskScore(**t) for t in s["tasks"]), s["finite"])
            for s in data["stages"]
        )
        return cls(data["ir_hash"], data["lab_hash"], data["fitness"], data["stage"],
                   data["status"], data["reason"], data["flops"], data["seconds"], stages)


def relu_ir() -> ActivationIR:
    return ActivationIR.from_dict({"version": 1, "nodes": [
        {"op": "aten.relu.default", "args": [{"ref": 0}], "kwargs": {}}], "output": {"ref": 1}})


_reference_memo: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def reference_losses(config: LabConfig) -> tuple[np.ndarray, np.ndarray]:
    """ReLU's (train, test) MSE per task and seed for this lab configuration (memoised)."""
    key = config.hash
    if key not in _reference_memo:
        result = _train(relu_ir(), config)
        _reference_memo[key] = (result.train_mse, result.test_mse)
    return _reference_memo[key]


def _train(ir: ActivationIR, config: LabConfig):
    torch.set_num_threads(1) if config.device == "cpu" else None
    tasks = get_tasks(config.tasks)
    return train_batched(ir.to_callable(), tasks, config.seeds, config.train, config.device)


def run_stage(ir: ActivationIR, config: LabConfig, stage: str) -> StageResult:
    started = time.perf_counter()
    tasks = get_tasks(config.tasks)
    _, ref_test = reference_losses(config)
    result = _train(ir, config)
    test = result.test_mse.mean(axis=1)
    train = result.train_mse.mean(axis=1)
    ref = ref_test.mean(axis=1)
    finite = bool(np.all(np.isfinite(test)) and np.all(np.isfinite(train)))
    scores = []
    for i, task in enumerate(tasks):
        ratio = math.log(test[i] / ref[i]) if finite and test[i] > 0 else WORST_FITNESS
        scores.append(TaskScore(task.name, task.family, float(train[i]), float(test[i]),
                                float(ratio)))
    fitness = float(np.mean([s.log_ratio for s in scores])) if finite else WORST_FITNESS
    return StageResult(stage, fitness, time.perf_counter() - started, tuple(scores), finite)


def evaluate(ir: ActivationIR, config: LabConfig | None = None) -> Evaluation:
    """Cascade: short run, then the full run for promising candidates."""
    config = config or LabConfig()
    started = time.perf_counter()
    stages: list[StageResult] = []
    if config.cascade:
        short = run_stage(ir, config.short_stage(), "short")
        stages.append(short)
        if not short.finite:
            return _finish(ir, config, stages, "non_finite",
                           "training diverged (NaN/inf) in the short stage", started)
        if short.fitness >= config.short_threshold:
            return _finish(ir, config, stages, "pruned",
                           f"short-stage fitness {short.fitness:.3f} is not below the "
                           f"threshold {config.short_threshold}", started)
    full = run_stage(ir, config, "full")
    stages.append(full)
    if not full.finite:
        return _finish(ir, config, stages, "non_finite", "training diverged (NaN/inf)", started)
    return _finish(ir, config, stages, "ok", "", started)


def _finish(ir, config, stages, status, reason, started) -> Evaluation:
    last = stages[-1]
    return Evaluation(ir.hash, config.hash, last.fitness if last.finite else WORST_FITNESS,
                      last.stage, status, reason, flops_per_element(ir),
                      time.perf_counter() - started, tuple(stages))


def references(config: LabConfig) -> dict:
    """ReLU's losses for every stage of the cascade, keyed by stage config hash (JSON-able)."""
    out = {}
    for stage in ([config.short_stage()] if config.cascade else []) + [config]:
        train, test = reference_losses(stage)
        out[stage.hash] = {"train": train.tolist(), "test": test.tolist()}
    return out


def install_references(refs: dict) -> None:
    for key, value in refs.items():
        _reference_memo[key] = (np.asarray(value["train"]), np.asarray(value["test"]))


# ----------------------------------------------------- process-pool entry points
def references_json(config_json: str) -> dict:
    return references(LabConfig.from_dict(json.loads(config_json)))


def evaluate_json(ir_json: str, config_json: str, refs: dict | None = None) -> dict:
    """Trusted JSON in, plain dict out (the worker never sees candidate Python)."""
    if refs:
        install_references(refs)
    ir = ActivationIR.from_json(ir_json)
    config = LabConfig.from_dict(json.loads(config_json))
    return evaluate(ir, config).to_dict()
