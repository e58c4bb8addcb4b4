"""The lab's verdict on one IR, as records that cross into store/ and agent/ (JSON-able)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ..tasks import FAMILIES
from .scoring import LOG_RATIO_CAP  # noqa: F401 - re-exported: a record's bound

WORST_FITNESS = 10.0  # for candidates whose training diverges (NaN/inf) or fails
# A task's log ratio counts at most +-log(100) (LOG_RATIO_CAP): beyond 100x better or worse
# than ReLU a task is saturated. Standard activations stay inside this range; what the cap
# removes are degenerate regimes where float noise would decide the score: x^2 networks
# represent the polynomial tasks exactly (OOD MSE 1e-11, log ratio -30, while they cannot
# even fit a sine) and catastrophic blow-ups. It also keeps every finite candidate strictly
# better than a diverged one (WORST_FITNESS).


@dataclass(frozen=True)
class TaskScore:
    task: str
    family: str
    train_mse: float  # mean over seeds
    test_mse: float  # mean over seeds (out of distribution)
    log_ratio: float  # the task's score: log(test_mse / ReLU's), anchored (lab/scoring.py)
    relu_test_mse: float = 0.0  # ReLU's OOD MSE on this task (same seeds and steps)
    naive_test_mse: float | None = None  # the best naive extrapolator's (mean or linear fit)
    held_out: bool = False  # a validation task: scored, never part of fitness


@dataclass(frozen=True)
class StageResult:
    stage: str  # "short" | "full"
    fitness: float
    seconds: float
    tasks: tuple[TaskScore, ...]
    finite: bool
    steps: int = 0  # optimiser steps taken (fewer than configured if training diverged)
    seed_fitness: tuple[float, ...] = ()  # the fitness of each seed alone: its spread
    validation: float | None = None  # the held-out tasks' score (same scale as fitness)

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
    fitness: float  # of the last stage run; WORST_FITNESS if training diverged or failed
    stage: str  # last stage reached: "probe" (failed it), "short" (pruned) or "full"
    status: str  # "ok" | "pruned" | "non_finite" | "error" (training raised)
    reason: str
    flops: int  # per element, the IR's cost (sandbox/flops.py)
    seconds: float  # wall time of the evaluation (of its whole batch, when batched)
    stages: tuple[StageResult, ...]  # empty when the probe failed
    batch: int = 1  # candidates trained together with this one (seconds / batch: its share)

    @property
    def tasks(self) -> tuple[TaskScore, ...]:
        return self.stages[-1].tasks if self.stages else ()

    @property
    def validation(self) -> float | None:
        """The held-out validation tasks' score (None when the lab holds none out, or the
        evaluation did not reach the full stage)."""
        return self.stages[-1].validation if self.stages and self.stage == "full" else None

    @property
    def family_log_ratios(self) -> dict[str, float]:
        """Score per task family, of the selection tasks (the held-out ones are apart)."""
        out = {}
        for fam in FAMILIES:
            vals = [t.log_ratio for t in self.tasks if t.family == fam and not t.held_out]
            if vals:
                out[fam] = float(np.mean(vals))
        return out

    @property
    def objectives(self) -> dict[str, float]:
        """The score of each task family (what selection may weigh) and the held-out
        validation score (what it must not); lower is better."""
        out = {f"family:{fam}": value for fam, value in self.family_log_ratios.items()}
        if self.validation is not None:
            out["validation"] = self.validation
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
        data["validation"] = self.validation
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Evaluation:
        stages = tuple(
            StageResult(s["stage"], s["fitness"], s["seconds"],
                        tuple(TaskScore(**t) for t in s["tasks"]), s["finite"],
                        s.get("steps", 0), tuple(s.get("seed_fitness", ())),
                        s.get("validation"))
            for s in data["stages"]
        )
        return cls(data["ir_hash"], data["lab_hash"], data["fitness"], data["stage"],
                   data["status"], data["reason"], data["flops"], data["seconds"], stages,
                   data.get("batch", 1))
