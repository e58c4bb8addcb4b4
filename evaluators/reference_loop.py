"""The obvious way to run the lab: one ``nn.Sequential`` of ``nn.Linear`` layers (an
``nn.Linear`` Elman cell for sequence tasks) per (task, seed), trained alone with
``torch.optim.Adam``. Same data, same initial weights and
same update rule as the batched trainer, so it is both the numerical reference the batched
trainer is tested against and the baseline ``actmine bench lab`` measures it against.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .recurrent import init_rnn
from .tasks import AnyTask, model_seed
from .trainer import Activation, BatchResult, TrainSpec, init_model


class _Act(nn.Module):
    def __init__(self, act: Activation):
        super().__init__()
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x)


def build_mlp(n_inputs: int, spec: TrainSpec, act: Activation, seed: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (weight, bias) in enumerate(init_model(n_inputs, spec, seed)):
        linear = nn.Linear(weight.shape[0], weight.shape[1])
        with torch.no_grad():
            linear.weight.copy_(weight.T)
            linear.bias.copy_(bias)
        layers.append(linear)
        if i < spec.depth:
            layers.append(_Act(act))
    return nn.Sequential(*layers)


class Elman(nn.Module):
    """The sequence tasks' model, written plainly: h_t = act(cell([x_t, h_(t-1)]))."""

    def __init__(self, hidden: int, act: Activation, seed: int):
        super().__init__()
        w, b, v, c = init_rnn(hidden, seed)
        self.cell, self.readout, self.act = nn.Linear(1 + hidden, hidden), nn.Linear(hidden, 1), act
        with torch.no_grad():
            for linear, weight, bias in ((self.cell, w, b), (self.readout, v, c)):
                linear.weight.copy_(weight.T)
                linear.bias.copy_(bias[0])

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (n, steps)
        h = x.new_zeros(x.shape[0], self.cell.out_features)
        for t in range(x.shape[1]):
            h = self.act(self.cell(torch.cat([x[:, t:t + 1], h], dim=1)))
        return self.readout(h)


def build_model(task: AnyTask, spec: TrainSpec, act: Activation, seed: int) -> nn.Module:
    if task.kind == "recurrent":
        return Elman(task.hidden, act, seed)
    return build_mlp(task.n_inputs, spec, act, seed)


def make_loop_optimizer(model: nn.Module, spec: TrainSpec) -> torch.optim.Optimizer:
    if spec.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=spec.lr)
    if spec.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=spec.lr, momentum=0.9)
    raise ValueError(f"unknown optimizer {spec.optimizer!r}; use 'adam' or 'sgd'")


def train_loop(act: Activation, tasks: tuple[AnyTask, ...], seeds: tuple[int, ...],
               spec: TrainSpec, device: torch.device | str = "cpu") -> BatchResult:
    device = torch.device(device)
    train = np.zeros((len(tasks), len(seeds)))
    test = np.zeros((len(tasks), len(seeds)))
    for i, task in enumerate(tasks):
        for j, seed in enumerate(seeds):
            data = task.sample(spec.n_train, spec.n_test, seed, default_noise=spec.noise)
            x_tr, y_tr, x_te, y_te = (torch.from_numpy(a).to(device) for a in (
                data.x_train, data.y_train[:, None], data.x_test, data.y_test[:, None]))
            model = build_model(task, spec, act, model_seed(task, seed)).to(device)
            opt = make_loop_optimizer(model, spec)
            loss_fn = nn.MSELoss()
            for _ in range(spec.steps):
                opt.zero_grad()
                loss_fn(model(x_tr), y_tr).backward()
                opt.step()
            with torch.no_grad():
                train[i, j] = loss_fn(model(x_tr), y_tr).item()
                test[i, j] = loss_fn(model(x_te), y_te).item()
    return BatchResult(train, test, spec.steps)
