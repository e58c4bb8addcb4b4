"""ReLU's reference losses: the yardstick of every log ratio.

Computed once per lab configuration (per cascade stage, keyed by the stage's train hash),
cached by the caller, and passed explicitly to every evaluation: workers keep no hidden
state between calls.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from actmine.sandbox.ir import ActivationIR

from .config import LabConfig, LabError
from .training import train_one, training_callable

Losses = tuple[np.ndarray, np.ndarray]  # (train, test) MSE per task and seed


def relu_ir() -> ActivationIR:
    return ActivationIR.from_dict({"version": 1, "nodes": [
        {"op": "aten.relu.default", "args": [{"ref": 0}], "kwargs": {}}], "output": {"ref": 1}})


@dataclass(frozen=True)
class References:
    """ReLU's losses for every stage of one lab configuration's cascade."""

    losses: dict[str, Losses]  # stage train hash -> (train, test)

    def of(self, stage: LabConfig) -> Losses:
        try:
            return self.losses[stage.train_hash]
        except KeyError:
            raise LabError(f"no ReLU reference for the lab stage {stage.train_hash}; compute "
                           f"the references of this lab configuration first") from None

    def to_dict(self) -> dict:
        return {key: {"train": train.tolist(), "test": test.tolist()}
                for key, (train, test) in self.losses.items()}

    @classmethod
    def from_dict(cls, data: dict) -> References:
        return cls({key: (np.asarray(v["train"], dtype=float), np.asarray(v["test"], dtype=float))
                    for key, v in data.items()})


@functools.lru_cache(maxsize=16)  # deterministic in the (frozen) config: train it once here
def reference_losses(config: LabConfig) -> Losses:
    """Train ReLU on this stage's lab: its (train, test) MSE per task and seed."""
    result = train_one(training_callable(relu_ir()), config)
    if not (np.isfinite(result.test_mse).all() and result.steps_done == config.train.steps):
        raise LabError(f"ReLU's own training diverges in this lab (lr {config.train.lr}, "
                       f"{config.train.optimizer}); lower [lab] lr")
    if not (result.test_mse > 0).all():
        raise LabError("ReLU's out-of-distribution error is 0 on some task; that task "
                       "cannot rank activations")
    return result.train_mse, result.test_mse


def compute_references(config: LabConfig) -> References:
    """ReLU's losses for every stage of the cascade (what evaluations of this lab need)."""
    return References({stage.train_hash: reference_losses(stage)
                       for stage, _ in config.stages()})
