"""Training an IR in the lab: the callable the trainer uses and one batched run per stage."""

from __future__ import annotations

import torch
from actmine.sandbox.ir import ActivationIR

from ..kernels import TRAINING_KERNELS
from ..trainer import Activation, BatchResult, train_many
from .config import LabConfig, device_of


def training_callable(ir: ActivationIR) -> Activation:
    """The IR as a torch callable, with the lab's faster kernels where they apply."""
    return ir.to_callable(TRAINING_KERNELS)


def train_together(acts: list[Activation], config: LabConfig) -> list[BatchResult]:
    """Several candidates on this lab, trained as one batched model."""
    device = device_of(config)
    if device.type == "cpu":
        torch.set_num_threads(1)  # one worker, one core; also what keeps CPU runs bit-identical
    return train_many(acts, config.all_tasks(), config.seeds, config.train, device)


def train_one(act: Activation, config: LabConfig) -> BatchResult:
    return train_together([act], config)[0]
