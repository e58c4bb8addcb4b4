"""The batched recurrent model of the lab's sequence tasks (evaluators/tasks.py,
``SequenceTask``): one Elman cell per (task, seed) slice,

    h_0 = 0,   h_t = act(W [x_t, h_(t-1)] + b),   prediction = V h_T + c,

trained by the same loop as the MLPs (trainer.fit), so the slices are independent models
for the same reasons (own initial weights from (task, seed), own mean loss, elementwise
optimiser). The cell's weights have nn.Linear's default init, like the MLP's layers.
"""

from __future__ import annotations

import math

import torch

from .tasks import model_seed


def init_rnn(hidden: int, seed: int) -> list[torch.Tensor]:
    """One model's [W (1 + hidden, hidden), b (1, hidden), V (hidden, 1), c (1, 1)],
    uniform in +-1/sqrt(fan_in) from one generator (the per-model loop uses the same)."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for fan_in, fan_out in ((1 + hidden, hidden), (hidden, 1)):
        bound = 1.0 / math.sqrt(fan_in)
        out.append(torch.empty(fan_in, fan_out).uniform_(-bound, bound, generator=gen))
        out.append(torch.empty(1, fan_out).uniform_(-bound, bound, generator=gen))
    return out


def stack_rnns(tasks, seeds: tuple[int, ...], spec, device: torch.device) -> list[torch.Tensor]:
    """Batched parameters [W (m, 1 + h, h), b (m, 1, h), V (m, h, 1), c (m, 1, 1)] (the
    width is the task's own, not ``spec.hidden``; ``spec`` keeps stack_models' signature)."""
    models = [init_rnn(task.hidden, model_seed(task, seed)) for task in tasks for seed in seeds]
    return [torch.stack(parts).to(device).requires_grad_(True) for parts in zip(*models)]


def rnn_forward(params: list[torch.Tensor], x: torch.Tensor, act) -> torch.Tensor:
    """Run every slice's cell over its sequences (x: (m, n, steps, 1)); (m, n, 1) out."""
    w, b, v, c = params
    h = x.new_zeros(x.shape[0], x.shape[1], w.shape[2])
    for t in range(x.shape[2]):
        h = act(torch.baddbmm(b, torch.cat([x[:, :, t], h], dim=2), w))
    return torch.baddbmm(c, h, v)


def rnn_matmul_flops(task, spec, models: int, steps: int | None = None) -> int:
    """FLOPs of the cell and readout matmuls for training (forward, weight and input
    gradients: 3x forward) and the final train/test evaluation, as trainer.matmul_flops
    counts the MLP's."""
    steps = spec.steps if steps is None else steps
    cell, readout = 2 * (1 + task.hidden) * task.hidden, 2 * task.hidden
    forward = lambda length: length * cell + readout  # noqa: E731 - per sequence
    train = steps * spec.n_train * 3 * forward(task.length)
    final = spec.n_train * forward(task.length) + spec.n_test * forward(task.test_length)
    return models * (train + final)
