"""Configuration: TOML, validated at start-up with errors that name the key (pydantic).

    [search]    budget, seed, proposer, concurrency
    [admission] FLOP budget, node cap, sandbox limits
    [lab]       tasks, seeds, MLP and optimiser, cascade
    [database]  islands, migration, resets, parent sampling, MAP-Elites cells
    [cache]     the user-level cache shared across runs
    [[models]]  OpenAI-compatible endpoints (see README)
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from actmine.evaluators.lab import LabConfig
from actmine.evaluators.trainer import TrainSpec
from actmine.sandbox.admission import AdmissionConfig
from actmine.sandbox.supervisor import SandboxLimits
from actmine.store.cache import shared_cache_dir
from actmine.store.cells import DEFAULT_CELLS
from actmine.store.database import DatabaseConfig
from actmine.store.features import FEATURES
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class ConfigError(Exception):
    """A user-facing configuration problem (one line)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SearchSettings(_Strict):
    budget: int = Field(40, ge=1, description="fresh lab evaluations to spend")
    seed: int = 0
    proposer: Literal["symbolic", "random"] = "symbolic"
    proposals_in_flight: int = Field(4, ge=1, le=1024)
    admissions_in_flight: int = Field(2, ge=1, le=64)
    evaluations_in_flight: int = Field(0, ge=0, le=256, description="0: one per CPU core")
    max_proposals: int = Field(0, ge=0, description="0: 25 x budget")

    def evaluation_slots(self) -> int:
        return self.evaluations_in_flight or max(1, os.cpu_count() or 1)

    def proposal_cap(self) -> int:
        return self.max_proposals or 25 * self.budget


class AdmissionSettings(_Strict):
    max_flops: int = Field(64, ge=1)
    max_nodes: int = Field(64, ge=1, le=512)
    wall_seconds: float = Field(10.0, gt=0)
    cpu_seconds: int = Field(10, ge=1)
    memory_gb: float = Field(4.0, gt=0.5)

    def to_config(self) -> AdmissionConfig:
        limits = SandboxLimits(self.wall_seconds, self.cpu_seconds,
                               int(self.memory_gb * 1024**3), self.max_nodes)
        return AdmissionConfig(self.max_flops, self.max_nodes, limits)


class LabSettings(_Strict):
    """Mirrors evaluators.lab.LabConfig and evaluators.trainer.TrainSpec (see README, "The lab")."""

    tasks: list[str] = []
    seeds: list[int] = Field([0, 1, 2], min_length=1)
    hidden: int = Field(64, ge=1, le=4096)
    depth: int = Field(2, ge=1, le=8)
    steps: int = Field(1000, ge=1)
    lr: float = Field(3e-3, gt=0)
    optimizer: Literal["adam", "sgd"] = "adam"
    n_train: int = Field(256, ge=8)
    n_test: int = Field(256, ge=8)
    noise: float = Field(0.0, ge=0, description="train-target noise, x the target's std")
    short_fraction: float = Field(0.25, gt=0, le=1)
    short_threshold: float = 0.5
    cascade: bool = True
    device: str = Field("auto", pattern=r"^(auto|cpu|cuda(:\d+)?|mps)$")

    @field_validator("tasks")
    @classmethod
    def _known_tasks(cls, names: list[str]) -> list[str]:
        from actmine.evaluators.tasks import TASKS

        known = [t.name for t in TASKS]
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"unknown lab task(s) {unknown}; known: {known}")
        return names

    def to_config(self) -> LabConfig:
        device = self.device
        if device == "auto":
            import torch

            device = "cuda" if torch.cuda.is_available() else "cpu"
        spec = TrainSpec(hidden=self.hidden, depth=self.depth, steps=self.steps, lr=self.lr,
                         optimizer=self.optimizer, n_train=self.n_train, n_test=self.n_test,
                         noise=self.noise)
        return LabConfig(tasks=tuple(self.tasks), seeds=tuple(self.seeds), train=spec,
                         short_fraction=self.short_fraction,
                         short_threshold=self.short_threshold, cascade=self.cascade,
                         device=device)


class DatabaseSettings(_Strict):
    islands: int = Field(4, ge=1, le=64)
    migration_interval: int = Field(25, ge=0, description="evaluated programs between "
                                    "ring migrations; 0: never")
    reset_interval: int = Field(100, ge=0, description="evaluated programs between resets "
                                "of the weakest islands; 0: never")
    reset_fraction: float = Field(0.5, ge=0, lt=1)
    parent_alpha: float = Field(1.0, ge=0, le=10)
    inspirations: int = Field(2, ge=0, le=16)
    cells: dict[str, list[float]] = Field(
        default_factory=lambda: {name: list(edges) for name, edges in DEFAULT_CELLS},
        description="MAP-Elites axes: feature name -> ascending bin edges")

    @field_validator("cells")
    @classmethod
    def _known_features(cls, cells: dict[str, list[float]]) -> dict[str, list[float]]:
        if not cells:
            raise ValueError("needs at least one feature")
        for name, edges in cells.items():
            if name not in FEATURES:
                raise ValueError(f"unknown feature {name!r}; choose from {', '.join(FEATURES)}")
            if not edges or edges != sorted(set(edges)) or len(edges) > 32:
                raise ValueError(f"{name}: give 1 to 32 strictly increasing bin edges")
        return cells

    def to_config(self) -> DatabaseConfig:
        return DatabaseConfig(self.islands, self.migration_interval, self.reset_interval,
                              self.reset_fraction, self.parent_alpha, self.inspirations,
                              tuple((k, tuple(map(float, v))) for k, v in self.cells.items()))


class CacheSettings(_Strict):
    shared: bool = Field(True, description="also use the user-level cache shared by all runs")
    dir: str = Field("", description="shared cache directory; empty: $ACTMINE_CACHE_DIR/results "
                     "or ~/.cache/actmine/results")

    def shared_dir(self) -> Path | None:
        return shared_cache_dir(self.dir or None) if self.shared else None


class Settings(_Strict):
    search: SearchSettings = SearchSettings()
    admission: AdmissionSettings = AdmissionSettings()
    lab: LabSettings = LabSettings()
    database: DatabaseSettings = DatabaseSettings()
    cache: CacheSettings = CacheSettings()

    def identity(self) -> dict:
        """What must match for a run directory to be resumed (budgets may grow)."""
        return {"admission": self.admission.model_dump(),
                "lab": self.lab.model_dump(exclude={"device"}),
                "seed": self.search.seed}


def load_settings(path: Path | str | None = None, overrides: dict | None = None) -> Settings:
    data: dict = {}
    if path is not None:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        section, key = dotted.split(".", 1)
        data.setdefault(section, {})[key] = value
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        where = f" in {path}" if path else ""
        raise ConfigError(f"config key '{key}'{where}: {err['msg']}") from None
