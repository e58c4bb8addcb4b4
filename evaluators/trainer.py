"""Batched training of tiny MLPs: every (task, seed) pair of a lab run is one slice of one
batched model, so a whole lab evaluation is one training loop of batched matmuls with one
optimiser step for all (see ``actmine bench lab`` for the speed-up over a per-task loop).

Tasks with fewer inputs than ``MAX_INPUTS`` are zero-padded: padded input columns are zero,
so their first-layer weights get zero gradient and the model is exactly the narrower one.
Each slice's loss is its own mean, and slices are summed, so every model's gradient (and
Adam update, which is elementwise) is exactly what it would be if trained alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from .tasks import MAX_INPUTS, Task

Activation = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class TrainSpec:
    hidden: int = 64
    depth: int = 2  # hidden layers
    steps: int = 1000
    lr: float = 3e-3
    optimizer: str = "adam"  # "adam" | "sgd"
    n_train: int = 256
    n_test: int = 256


@dataclass(frozen=True)
class BatchResult:
    """Per model slice (task-major, seed-minor): final train and test MSE."""

    train_mse: np.ndarray  # (tasks, seeds)
    test_mse: np.ndarray  # (tasks, seeds)
    steps_done: int


def stack_data(tasks: tuple[Task, ...], seeds: tuple[int, ...], spec: TrainSpec,
               device: torch.device) -> tuple[torch.Tensor, ...]:
    xs_tr, ys_tr, xs_te, ys_te, widths = [], [], [], [], []
    for task in tasks:
        for seed in seeds:
            data = task.sample(spec.n_train, spec.n_test, seed)
            xs_tr.append(_pad(data.x_train))
            xs_te.append(_pad(data.x_test))
            ys_tr.append(data.y_train[:, None])
            ys_te.append(data.y_test[:, None])
            widths.append(task.n_inputs)
    as_t = lambda arrays: torch.from_numpy(np.stack(arrays)).to(device)  # noqa: E731
    return as_t(xs_tr), as_t(ys_tr), as_t(xs_te), as_t(ys_te), torch.tensor(widths)


def _pad(x: np.ndarray) -> np.ndarray:
    out = np.zeros((x.shape[0], MAX_INPUTS), dtype=np.float32)
    out[:, : x.shape[1]] = x
    return out


def init_params(widths: torch.Tensor, spec: TrainSpec, seeds: torch.Tensor,
                device: torch.device) -> list[torch.Tensor]:
    """nn.Linear-style init (uniform ±1/sqrt(fan_in)), one generator per model slice."""
    m = len(widths)
    dims = [MAX_INPUTS] + [spec.hidden] * spec.depth + [1]
    params = [torch.empty(m, dims[i], dims[i + 1]) for i in range(len(dims) - 1)]
    biases = [torch.empty(m, 1, dims[i + 1]) for i in range(len(dims) - 1)]
    for k in range(m):
        gen = torch.Generator().manual_seed(int(seeds[k]))
        for layer, (w, b) in enumerate(zip(params, biases)):
            fan_in = int(widths[k]) if layer == 0 else dims[layer]
            bound = 1.0 / math.sqrt(fan_in)
            w[k].uniform_(-bound, bound, generator=gen)
            b[k].uniform_(-bound, bound, generator=gen)
            if layer == 0:
                w[k, fan_in:, :] = 0.0
    out = []
    for w, b in zip(params, biases):
        out += [w.to(device).requires_grad_(True), b.to(device).requires_grad_(True)]
    return out


def forward(params: list[torch.Tensor], x: torch.Tensor, act: Activation) -> torch.Tensor:
    h = x
    n_layers = len(params) // 2
    for i in range(n_layers):
        w, b = params[2 * i], params[2 * i + 1]
        h = torch.baddbmm(b, h, w)
        if i < n_layers - 1:
            h = act(h)
    return h


def per_model_mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return ((pred - target) ** 2).mean(dim=(1, 2))


def train_batched(act: Activation, tasks: tuple[Task, ...], seeds: tuple[int, ...],
                  spec: TrainSpec, device: torch.device | str = "cpu",
                  init_seed: int = 0) -> BatchResult:
    device = torch.device(device)
    x_tr, y_tr, x_te, y_te, widths = stack_data(tasks, seeds, spec, device)
    model_seeds = torch.tensor([init_seed * 1_000_003 + 7919 * t + s
                                for t in range(len(tasks)) for s in seeds])
    params = init_params(widths, spec, model_seeds, device)
    opt = make_optimizer(params, spec)
    for _ in range(spec.steps):
        opt.zero_grad(set_to_none=True)
        loss = per_model_mse(forward(params, x_tr, act), y_tr)
        # NaN in one slice must not poison others: sum only finite slices' losses.
        loss = torch.where(torch.isfinite(loss), loss, torch.zeros_like(loss)).sum()
        loss.backward()
        opt.step()
    with torch.no_grad():
        train = per_model_mse(forward(params, x_tr, act), y_tr)
        test = per_model_mse(forward(params, x_te, act), y_te)
    shape = (len(tasks), len(seeds))
    return BatchResult(train.cpu().double().numpy().reshape(shape),
                       test.cpu().double().numpy().reshape(shape), spec.steps)


def make_optimizer(params: list[torch.Tensor], spec: TrainSpec) -> torch.optim.Optimizer:
    if spec.optimizer == "adam":
        return torch.optim.Adam(params, lr=spec.lr, foreach=True)
    if spec.optimizer == "sgd":
        return torch.optim.SGD(params, lr=spec.lr, momentum=0.9, foreach=True)
    raise ValueError(f"unknown optimizer {spec.optimizer!r}; use 'adam' or 'sgd'")
