"""What every benchmark shares: the record describing it, the run context, and small
training helpers (the candidate as an ``nn.Module``, seeding, divergence handling)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

Activation = Callable[[torch.Tensor], torch.Tensor]
PROFILES = ("smoke", "quick", "full")
# smoke: seconds-long pipeline check for tests (numbers meaningless); quick: CPU; full: GPU;
# proxy: miniatures of a few benchmarks for the search's transfer-proxy stage (proxy.py).
SEEDS = {"smoke": (0, 1), "quick": (0, 1, 2), "full": (0, 1, 2, 3, 4), "proxy": (0, 1, 2)}


@dataclass(frozen=True)
class Context:
    device: str = "cpu"
    data_cache: Path | None = None  # where prepared arrays (molecule graphs) are kept


class Diverged(Exception):
    """Training produced NaN/inf: the activation fails this benchmark."""


@dataclass(frozen=True)
class Benchmark:
    name: str
    family: str  # images | molecules | algorithmic | timeseries
    dataset: str
    metric: str  # e.g. "accuracy", "RMSE"
    higher_is_better: bool
    version: int  # bump whenever the numbers could change: it is part of the cache key
    cost: float  # CPU seconds of one quick job (measured), to schedule the longest first
    profiles: dict[str, dict]
    run: Callable[[Activation, int, dict, Context], dict]  # -> {"metric": float, ...}
    check: Callable[[], None] = lambda: None  # raises DataMissing
    prepare: Callable[[dict, Context], None] | None = None  # once, in the main process
    notes: str = ""
    # Seeds per profile where the default count (SEEDS) cannot rank activations: a noisy
    # benchmark gets more. Not part of the cache key: seed k is the same job either way.
    seed_counts: dict[str, int] = field(default_factory=dict)

    def params(self, profile: str) -> dict:
        return self.profiles[profile]

    def seeds(self, profile: str) -> tuple[int, ...]:
        return tuple(range(self.seed_counts.get(profile, len(SEEDS[profile]))))


class ActivationModule(nn.Module):
    """The candidate (a rebuilt IR callable) as a layer."""

    def __init__(self, fn: Activation):
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)


def seed_everything(seed: int) -> np.random.Generator:
    random.seed(seed)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def check_finite(loss: torch.Tensor) -> float:
    value = float(loss.detach())
    if not math.isfinite(value):
        raise Diverged(f"loss became {value}")
    return value


def mlp(sizes: list[int], act: Activation) -> nn.Sequential:
    """Linear layers with the candidate between them (none after the last)."""
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(ActivationModule(act))
    return nn.Sequential(*layers)


def clip_and_step(model: nn.Module, optimizer: torch.optim.Optimizer, loss: torch.Tensor,
                  max_norm: float = 5.0) -> float:
    """One optimiser step; gradient clipping keeps fast-growing activations comparable."""
    value = check_finite(loss)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return value
