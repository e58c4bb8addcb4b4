"""What a lab evaluation means: the configuration and its hash.

The hash names what fitness means; it changes whenever the numbers could change (tasks, seeds,
training, the cascade), so cached fitness is never reused across a changed lab.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace

import torch
from actmine.sandbox.errors import UserError

from ..tasks import DEFAULT_VALIDATION, TASKS, TASKS_VERSION, AnyTask, UnknownTask, get_tasks
from ..trainer import TrainSpec

# 4: task scores anchored at the naive extrapolators, families aggregated, new task families
LAB_VERSION = 4


class LabError(UserError, ValueError):
    """A lab configuration that cannot give fitness (one line, for the user to fix)."""


@dataclass(frozen=True)
class LabConfig:
    tasks: tuple[str, ...] = ()  # empty: every task in evaluators/tasks.py
    seeds: tuple[int, ...] = (0, 1, 2)
    train: TrainSpec = field(default_factory=TrainSpec)
    short_fraction: float = 0.25  # of the steps, on the first seed only
    short_threshold: float = 0.5  # run the full stage only if short fitness is below this
    cascade: bool = True
    # Task families (or tasks) trained and scored for every candidate but never part of its
    # fitness: a held-out check that selection is not over-fitting the lab. None: the
    # default held-out tasks with the default tasks, none with tasks of one's own.
    validation: tuple[str, ...] | None = None
    anchor: str = "naive"  # how a task is scored (lab/scoring.py): "relu" | "naive"
    aggregate: str = "family_mean"  # how tasks combine: "mean" | "family_mean" | "worst_family"
    device: str = "cpu"  # "auto" picks CUDA where the worker has it (resolved there)

    @property
    def hash(self) -> str:
        """Identity of what fitness means: changes whenever the numbers could change."""
        return _digest(self, exclude=("device",))

    @property
    def train_hash(self) -> str:
        """Identity of one training run (the cascade settings do not change it): the key of
        ReLU's reference losses, shared by cascaded and full-only evaluations."""
        return _digest(self, exclude=("device", "short_fraction", "short_threshold", "cascade",
                                      "anchor", "aggregate"))

    def short_stage(self) -> LabConfig:
        steps = max(1, int(round(self.train.steps * self.short_fraction)))
        return replace(self, seeds=self.seeds[:1], train=replace(self.train, steps=steps),
                       cascade=False)

    def validation_tasks(self) -> tuple[AnyTask, ...]:
        names = self.validation
        if names is None:
            names = () if self.tasks else DEFAULT_VALIDATION
        chosen = []
        for name in names:
            matches = [t for t in TASKS if name in (t.name, t.family)]
            if not matches:
                raise UnknownTask(f"validation {name!r} is neither a lab task nor a task family")
            chosen += [t for t in matches if t not in chosen]
        return tuple(chosen)

    def all_tasks(self) -> tuple[AnyTask, ...]:
        """What one evaluation trains: the selection tasks, then the held-out validation ones."""
        held_out = self.validation_tasks()
        return tuple(t for t in get_tasks(self.tasks) if t not in held_out) + held_out

    def stages(self) -> list[tuple[LabConfig, str]]:
        """(configuration, name) of every training stage of the cascade, in order."""
        return ([(self.short_stage(), "short")] if self.cascade else []) + [(self, "full")]

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_dict(cls, data: dict) -> LabConfig:
        data = dict(data)
        train = TrainSpec(**data.pop("train", {}))
        for key in ("tasks", "seeds", "validation"):
            if data.get(key) is not None:
                data[key] = tuple(data[key])
        return cls(train=train, **data)


def _digest(config: LabConfig, exclude: tuple[str, ...]) -> str:
    data = asdict(config)
    for key in exclude:
        data.pop(key)
    data.update(lab_version=LAB_VERSION, tasks_version=TASKS_VERSION,
                tasks=[t.name for t in config.all_tasks()])
    text = json.dumps(data, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def device_of(config: LabConfig) -> torch.device:
    """The device this process trains on: "auto" is CUDA where this worker has one."""
    if config.device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(config.device)
